// The update API (issue 17 item 5): admins only; the daemon streams the upload into its updates directory and the
// root helper's update verbs, served here behind a real Unix socket as systemd would hand them a connection, copy
// and verify it (a real signed bundle, a throwaway key), start the install with a stand-in systemd-run.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Hono } from 'hono';
import { errorCode, makeApp } from '../../helpers/app.js';
import { requireAuth } from '../../../daemon/src/routes/auth.js';
import { updateRoutes } from '../../../daemon/src/routes/update.js';
import type { AppEnv } from '../../../daemon/src/http.js';
import { answerUpdate } from '../../../provisioning/helper/update-verbs.js';
import type { UpdateCheckResponse, UpdateStatusResponse } from '../../../daemon/src/api-types.js';
import { appTree, makeBundle, recorded, tampered, updateHelperWorld } from '../../provisioning/helpers/update-fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-update-api-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const { key, uploads, stateDir, appDir, calls, env } = updateHelperWorld(dir);

/** The helper as homedrive-helper.socket runs it: one request line, one answer, the connection closed. */
function helperSocket(): Promise<{ socket: string; requests: string[]; close: () => void }> {
  const socket = path.join(dir, `helper-${Math.random().toString(36).slice(2)}.sock`);
  const requests: string[] = [];
  const server = net.createServer((c) => {
    let got = '';
    c.setEncoding('utf8');
    c.on('data', async (d: string) => {
      got += d;
      const nl = got.indexOf('\n');
      if (nl < 0) return;
      requests.push(got.slice(0, nl));
      const req = JSON.parse(got.slice(0, nl)) as { verb: string; args?: { file?: string } };
      if (req.verb === 'update_check' && req.args?.file) modes.push(fs.statSync(req.args.file).mode & 0o777);
      c.end(`${JSON.stringify(await answerUpdate(got.slice(0, nl), env))}\n`);
    });
  });
  return new Promise((resolve) => server.listen(socket, () => resolve({ socket, requests, close: () => server.close() })));
}

/** The upload's mode as the helper finds it: group-readable, for the helper's SupplementaryGroups=homedrive. */
const modes: number[] = [];
const uploadsLeft = () => (fs.existsSync(uploads) ? fs.readdirSync(uploads) : []);

test('update API: admins only; upload checked by the helper, installed, rolled back; tampered and oversized uploads refused and removed', async (t) => {
  const helper = await helperSocket();
  const h = await makeApp({ env: { HCD_HELPER_SOCKET: helper.socket, HCD_UPDATE_DIR: uploads } });
  t.after(async () => (helper.close(), await h.close()));
  const admin = await h.user('prof', 'admin');
  const good = fs.readFileSync(await makeBundle(dir, key, '0.2.0+bbbbbbb'));

  for (const role of ['user', 'advanced'] as const) {
    const u = await h.user(`u-${role}`, role);
    assert.equal((await h.req('GET', '/api/admin/update', { token: u.token })).status, 403);
    assert.equal((await h.req('POST', '/api/admin/update', { token: u.token, body: good })).status, 403);
    assert.equal((await h.req('POST', '/api/admin/update/install', { token: u.token, body: { id: '0123456789abcdef' } })).status, 403);
    assert.equal((await h.req('POST', '/api/admin/update/rollback', { token: u.token })).status, 403);
  }
  assert.equal((await h.req('GET', '/api/admin/update')).status, 401);
  assert.deepEqual(helper.requests, [], 'nothing reached the helper for them');
  assert.deepEqual(uploadsLeft(), [], 'nothing written for them');

  const status = (await h.json(h.req('GET', '/api/admin/update', { token: admin.token }))) as UpdateStatusResponse;
  assert.deepEqual(status, { running: { version: '0.1.0+aaaaaaa' }, previous: null, pending: null, last: null });

  // A good bundle: streamed to the updates directory, checked by the helper from its own copy, the upload removed.
  const res = await h.req('POST', '/api/admin/update', { token: admin.token, body: good, headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(res.status, 201, await res.clone().text());
  const checked = (await res.json()) as UpdateCheckResponse;
  assert.equal(checked.manifest.version, '0.2.0+bbbbbbb');
  assert.equal(checked.bytes, good.length);
  assert.deepEqual(checked.running, { version: '0.1.0+aaaaaaa' });
  const asked = JSON.parse(helper.requests.at(-1)!) as { verb: string; args: { file: string } };
  assert.equal(asked.verb, 'update_check');
  assert.match(asked.args.file, new RegExp(`^${uploads}/[0-9a-f]{16}\\.hcdb$`));
  assert.equal(path.basename(asked.args.file, '.hcdb'), checked.id);
  assert.deepEqual(modes, [0o640]);
  assert.equal(fs.statSync(uploads).mode & 0o777, 0o750);
  assert.deepEqual(uploadsLeft(), [], 'the daemon’s copy is removed once the helper has its own');
  assert.ok(fs.readFileSync(path.join(stateDir, `${checked.id}.hcdb`)).equals(good));

  // Tampered: 400 invalid_bundle with the bundle's code, nothing left anywhere.
  const bad = fs.readFileSync(tampered(await makeBundle(dir, key, '0.3.0')));
  const refused = await h.req('POST', '/api/admin/update', { token: admin.token, body: bad });
  assert.equal(refused.status, 400);
  const body = (await refused.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'invalid_bundle');
  assert.match(body.error.message, /tampered: /);
  assert.deepEqual(uploadsLeft(), []);
  // Not a bundle at all, and an empty body.
  assert.equal(await errorCode(await h.req('POST', '/api/admin/update', { token: admin.token, body: new TextEncoder().encode('hello') })), 'invalid_bundle');
  assert.equal(await errorCode(await h.req('POST', '/api/admin/update', { token: admin.token })), 'invalid_bundle');

  // Over the limit by its Content-Length: 413 before anything is read or written.
  const before = helper.requests.length;
  const big = await h.req('POST', '/api/admin/update', {
    token: admin.token,
    body: new Uint8Array(16),
    headers: { 'content-length': String(300 * 1024 * 1024 + 1) },
  });
  assert.equal(big.status, 413);
  assert.equal(helper.requests.length, before);
  assert.deepEqual(uploadsLeft(), []);

  // Each check keeps only the bundle it checks: the refused uploads above took the first good copy away with them.
  assert.deepEqual(
    fs.readdirSync(stateDir).filter((f) => f.endsWith('.hcdb')),
    [],
  );
  // So the good bundle is uploaded again, then installed.
  const again = (await h.json(h.req('POST', '/api/admin/update', { token: admin.token, body: good }))) as UpdateCheckResponse;
  recorded(calls);
  assert.equal(await errorCode(await h.req('POST', '/api/admin/update/install', { token: admin.token, body: { id: '../etc' } })), 'bad_request');
  assert.equal(await errorCode(await h.req('POST', '/api/admin/update/install', { token: admin.token, body: { id: '0000000000000000' } })), 'not_found');
  const started = await h.req('POST', '/api/admin/update/install', { token: admin.token, body: { id: again.id } });
  assert.equal(started.status, 202, await started.clone().text());
  const run = recorded(calls);
  assert.equal(run.length, 1);
  assert.match(run[0]!, new RegExp(`--unit=homedrive-update-${again.id} .*/update/install\\.js install ${again.id}$`));
  assert.equal(await errorCode(await h.req('POST', '/api/admin/update/install', { token: admin.token, body: { id: again.id } })), 'update_busy');
  const during = (await h.json(h.req('GET', '/api/admin/update', { token: admin.token }))) as UpdateStatusResponse;
  assert.equal(during.pending?.version, '0.2.0+bbbbbbb');
  assert.equal(await errorCode(await h.req('POST', '/api/admin/update/rollback', { token: admin.token })), 'update_busy');

  // Once over (as install.js would leave it): a rollback without a previous version is refused, with one it starts.
  fs.rmSync(path.join(stateDir, 'pending.json'));
  assert.equal(await errorCode(await h.req('POST', '/api/admin/update/rollback', { token: admin.token })), 'not_found');
  appTree(path.join(appDir, 'previous'), '0.0.9');
  const back = await h.req('POST', '/api/admin/update/rollback', { token: admin.token });
  assert.equal(back.status, 202);
  assert.match(recorded(calls)[0] ?? '', /install\.js rollback$/);

  const audit = (await h.json(h.req('GET', '/api/admin/audit', { token: admin.token }))) as { entries: { action: string; detail: { version?: string } }[] };
  const mine = audit.entries.filter((e) => e.action.startsWith('update_')).map((e) => [e.action, e.detail.version]);
  assert.deepEqual(mine.sort(), [
    ['update_install', '0.2.0+bbbbbbb'],
    ['update_rollback', '0.0.9'],
  ]);
});

test('update API: no helper → 503 helper_unavailable, and the upload is removed', async (t) => {
  const h = await makeApp({ env: { HCD_HELPER_SOCKET: path.join(dir, 'nobody.sock'), HCD_UPDATE_DIR: uploads } });
  t.after(h.close);
  const admin = await h.user('prof', 'admin');
  assert.equal(await errorCode(await h.req('GET', '/api/admin/update', { token: admin.token })), 'helper_unavailable');
  assert.equal(
    await errorCode(await h.req('POST', '/api/admin/update', { token: admin.token, body: new TextEncoder().encode('HCDBNDL1...') })),
    'helper_unavailable',
  );
  assert.deepEqual(uploadsLeft(), []);
});

test('update API: a body without a Content-Length is cut at the limit as it arrives (413), and nothing is left', async (t) => {
  const helper = await helperSocket();
  const h = await makeApp({ env: { HCD_HELPER_SOCKET: helper.socket, HCD_UPDATE_DIR: uploads } });
  t.after(async () => (helper.close(), await h.close()));
  const admin = await h.user('prof', 'admin');
  // The same routes with a 64 KiB limit, mounted as app.ts mounts them behind the session check.
  const app = new Hono<AppEnv>();
  app.use('/api/admin/*', requireAuth(h.deps));
  app.route('/api/admin/update', updateRoutes(h.deps, 64 * 1024));
  app.onError((err, c) =>
    c.json({ error: { code: (err as { code?: string }).code ?? 'internal', message: err.message } }, (err as { status?: number }).status as 413),
  );
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      // 16 KiB at a time, 1 MiB in all: far past the limit, never announced.
      if (sent >= 1024 * 1024) return controller.close();
      sent += 16 * 1024;
      controller.enqueue(new Uint8Array(16 * 1024));
    },
  });
  const requestsBefore = helper.requests.length;
  const res = await app.request('/api/admin/update', {
    method: 'POST',
    headers: { host: 'localhost', authorization: `Bearer ${admin.token}` },
    body,
    duplex: 'half',
  } as RequestInit);
  const json = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(json.error.code, 'payload_too_large', JSON.stringify(json));
  assert.match(json.error.message, /at most 0 MB \(65536 bytes\)/);
  assert.ok(sent < 1024 * 1024, `reading stopped at the limit (${sent} bytes pulled)`);
  assert.equal(helper.requests.length, requestsBefore, 'the helper was not asked');
  assert.deepEqual(uploadsLeft(), [], 'the partial upload is removed');
});
