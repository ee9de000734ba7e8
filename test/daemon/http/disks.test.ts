// The disks API (issue 17 item 3): admins only; the daemon relays to the root helper, whose disk verbs
// run here behind a real Unix socket as systemd would hand them a connection, with stand-ins for
// systemd-run (recording what would have started, printing a Pi's disks for the listing) and systemctl.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { makeApp } from '../../helpers/app.js';
import { handle, helperEnv } from '../../../provisioning/helper/verbs.js';
import { diskAnswer, diskEnv, type DiskHelperEnv, type DisksListResult } from '../../../provisioning/helper/disk-verbs.js';
import { JobStore } from '../../../provisioning/disks-job.js';
import type { DiskJobResponse } from '../../../daemon/src/routes/disks.js';
import { PI_DISKS, standIns } from '../../provisioning/helpers/disk-fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-disks-http-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(file, 0o755);
  return file;
}

const calls = path.join(dir, 'calls');
fs.writeFileSync(path.join(dir, 'disks.json'), JSON.stringify(PI_DISKS));
const env: DiskHelperEnv = { ...helperEnv({}), ...diskEnv({}), ...standIns(dir, script), disksDir: path.join(dir, 'state') };

/** The helper as homedrive-helper.socket runs it: one request line, one answer; the disk verbs first, as verbs.ts will once merged. */
function helperSocket(): Promise<{ socket: string; close: () => void }> {
  const socket = path.join(dir, `helper-${Math.random().toString(36).slice(2)}.sock`);
  const server = net.createServer((c) => {
    let got = '';
    c.setEncoding('utf8');
    c.on('data', async (d: string) => {
      got += d;
      const nl = got.indexOf('\n');
      if (nl < 0) return;
      const line = got.slice(0, nl);
      const disk = await diskAnswer(JSON.parse(line), env);
      const answer = disk ? disk.answer : (await handle(line, env)).answer;
      c.end(`${JSON.stringify(answer)}\n`);
    });
  });
  return new Promise((resolve) => server.listen(socket, () => resolve({ socket, close: () => server.close() })));
}

function recorded(): string[] {
  const text = fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8') : '';
  fs.rmSync(calls, { force: true });
  return text.split('\n').filter(Boolean);
}

async function failsWith(r: Response, status: number, code: string, words: RegExp): Promise<void> {
  assert.equal(r.status, status);
  const e = (await r.json()) as { error: { code: string; message: string } };
  assert.equal(e.error.code, code, e.error.message);
  assert.match(e.error.message, words);
}

test('disks: admins only; the list; refusals in words; an import started, polled, re-indexed once done; busy meanwhile; all audited', async (t) => {
  const helper = await helperSocket();
  const h = await makeApp({ env: { HCD_HELPER_SOCKET: helper.socket } });
  t.after(async () => (helper.close(), await h.close()));
  const admin = await h.user('prof', 'admin');
  for (const role of ['user', 'advanced'] as const) {
    const u = await h.user(`u-${role}`, role);
    assert.equal((await h.req('GET', '/api/admin/disks', { token: u.token })).status, 403);
    assert.equal(
      (await h.req('POST', '/api/admin/disks/prepare', { token: u.token, body: { disk: '/dev/sdd', confirm: '/dev/sdd WD Elements' } })).status,
      403,
    );
    assert.equal((await h.req('POST', '/api/admin/disks/import', { token: u.token, body: { partition: '/dev/sdb1', folder: 'x' } })).status, 403);
    assert.equal((await h.req('POST', '/api/admin/disks/export', { token: u.token, body: { partition: '/dev/sdc1', folder: 'x' } })).status, 403);
    assert.equal((await h.req('POST', '/api/admin/disks/eject', { token: u.token, body: { disk: '/dev/sdb' } })).status, 403);
    assert.equal((await h.req('GET', '/api/admin/disks/jobs/0123456789abcdef', { token: u.token })).status, 403);
  }
  assert.equal((await h.req('GET', '/api/admin/disks')).status, 401);
  assert.deepEqual(recorded(), [], 'nothing reached the helper for them');

  const list = (await h.json(h.req('GET', '/api/admin/disks', { token: admin.token }))) as DisksListResult;
  assert.deepEqual(
    list.disks.map((d) => [d.displayName, d.role]),
    [
      ['/dev/mmcblk0', 'system'],
      ['/dev/sda Samsung SSD 870', 'storage'],
      ['/dev/sdb Cruzer Blade', 'other'],
      ['/dev/sdc Flash Disk', 'other'],
      ['/dev/sdd WD Elements', 'other'],
    ],
  );
  assert.match(recorded()[0]!, /--wait --pipe .* list$/);

  const post = (p: string, body: unknown) => h.req('POST', `/api/admin/disks/${p}`, { token: admin.token, body });
  await failsWith(
    await post('prepare', { disk: '/dev/mmcblk0', confirm: '/dev/mmcblk0' }),
    400,
    'invalid_disk',
    /"\/dev\/mmcblk0" is not a whole USB, SATA or NVMe disk/,
  );
  await failsWith(await post('prepare', { disk: '/dev/sda', confirm: '/dev/sda Samsung SSD 870' }), 409, 'disk_refused', /holds the drive's storage/);
  await failsWith(await post('prepare', { disk: '/dev/sdd', confirm: '/dev/sdd WD Elements', force: true }), 400, 'invalid_disk', /Send \{"disk"/);
  await failsWith(await post('import', { partition: '/dev/sdb1; rm -rf /', folder: 'x' }), 400, 'invalid_disk', /partition of a USB/);
  await failsWith(await post('import', { partition: '/dev/sdb1', folder: '../x' }), 400, 'invalid_disk', /"\.\.\/x" is not a folder of the workspace/);
  await failsWith(await post('export', { partition: '/dev/sda1', folder: 'Photos' }), 409, 'disk_refused', /Samsung SSD 870, which holds the drive's storage/);
  await failsWith(await post('eject', { disk: '/dev/sda' }), 409, 'disk_refused', /holds the drive's storage/);
  await failsWith(await h.req('GET', '/api/admin/disks/jobs/not-a-job', { token: admin.token }), 400, 'invalid_disk', /hexadecimal/);
  await failsWith(await h.req('GET', '/api/admin/disks/jobs/0123456789abcdef', { token: admin.token }), 404, 'not_found', /No disk job/);
  assert.ok(
    recorded().every((l) => / list$/.test(l)),
    'nothing started',
  );

  const started = await post('import', { partition: '/dev/sdb1', folder: 'Sortie 2026' });
  assert.equal(started.status, 202);
  const { id } = (await started.json()) as { id: string };
  assert.match(recorded().at(-1)!, new RegExp(`--no-block --unit=homedrive-disks-import-${id} .*disks-job\\.js import ${id}$`));
  fs.writeFileSync(path.join(dir, 'unit-state'), 'active\n');
  await failsWith(await post('eject', { disk: '/dev/sdc' }), 409, 'disk_busy', /Another disk job is running \(import of \/dev\/sdb1/);

  const running = (await h.json(h.req('GET', `/api/admin/disks/jobs/${id}`, { token: admin.token }))) as DiskJobResponse;
  assert.equal(running.state, 'queued');
  assert.equal(running.reconciled, null);

  // The job has copied two files into the workspace (the job itself runs on loop devices in disks-job.root.test.ts).
  const into = path.join(h.dataDir, 'workspace', 'Sortie 2026');
  fs.mkdirSync(into, { recursive: true });
  fs.writeFileSync(path.join(into, 'a.jpg'), 'photo a');
  fs.writeFileSync(path.join(into, 'b.txt'), 'note');
  const store = new JobStore(env.disksDir);
  const p = (await store.readProgress(id))!;
  await store.writeProgress({
    ...p,
    state: 'done',
    step: 'done',
    bytesDone: 11,
    bytesTotal: 11,
    filesDone: 2,
    filesTotal: 2,
    finishedAt: new Date().toISOString(),
  });
  fs.writeFileSync(path.join(dir, 'unit-state'), 'inactive\n');
  const done = (await h.json(h.req('GET', `/api/admin/disks/jobs/${id}`, { token: admin.token }))) as DiskJobResponse;
  assert.equal(done.state, 'done');
  assert.equal(done.bytesDone, 11);
  assert.deepEqual(done.reconciled, { added: 3 }, 'the folder and its two files indexed');
  const listing = (await h.json(h.req('GET', '/api/fs/workspace/Sortie%202026', { token: admin.token }))) as { entries: { name: string }[] };
  assert.deepEqual(listing.entries.map((e) => e.name).sort(), ['a.jpg', 'b.txt']);
  const again = (await h.json(h.req('GET', `/api/admin/disks/jobs/${id}`, { token: admin.token }))) as DiskJobResponse;
  assert.deepEqual(again.reconciled, { added: 3 }, 'indexed once, not at every poll');

  // Free again: eject the stick.
  const ej = await post('eject', { disk: '/dev/sdb' });
  assert.equal(ej.status, 202);

  const audit = (await h.json(h.req('GET', '/api/admin/audit', { token: admin.token }))) as {
    entries: { action: string; actor: string; target: string; detail: unknown }[];
  };
  const mine = audit.entries.filter((e) => e.action.startsWith('disk_') || e.action === 'reconcile');
  assert.deepEqual(
    mine.map((e) => [e.action, e.actor, e.target]),
    [
      ['disk_eject', 'prof', '/dev/sdb'],
      ['reconcile', 'prof', mine[1]?.target],
      ['disk_import', 'prof', '/dev/sdb1'],
    ],
  );
  assert.deepEqual(mine[2]?.detail, { folder: 'Sortie 2026', job: id });
});

test('disks without a root helper (a development machine): 503 in words', async (t) => {
  const h = await makeApp({ env: { HCD_HELPER_SOCKET: path.join(dir, 'absent.sock') } });
  t.after(() => h.close());
  const admin = await h.user('prof', 'admin');
  const r = await h.req('GET', '/api/admin/disks', { token: admin.token });
  await failsWith(r, 503, 'helper_unavailable', /The disks cannot be reached: no root helper at .*absent\.sock \(ENOENT\)/);
});
