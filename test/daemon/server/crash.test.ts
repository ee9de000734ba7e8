// Crash safety: kill -9 the daemon in the middle of several uploads, restart it on the same data,
// and show that no partial file is visible and that the database and the disk agree.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  api,
  dirEntries,
  diskFiles,
  dispose,
  downloadHash,
  listFiles,
  login,
  poll,
  pseudoRandom,
  request,
  sha256,
  startDaemon,
  type Daemon,
} from '../../helpers/server.js';

const MiB = 1024 * 1024;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-crash-'));
const tmpDir = path.join(dir, 'data', '.hcd', 'tmp');
const workspace = path.join(dir, 'data', 'workspace');
const daemons: Daemon[] = [];
let adminPassword = '';

after(async () => {
  for (const d of daemons) if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
  for (const d of daemons) await d.stop('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<Daemon> {
  const d = await startDaemon({ dir });
  daemons.push(d);
  if (d.adminPassword) adminPassword = d.adminPassword;
  return d;
}

async function kill9(d: Daemon): Promise<void> {
  const res = await d.stop('SIGKILL');
  assert.equal(res, null, 'killed by a signal, not exited');
  assert.equal(d.proc.signalCode, 'SIGKILL');
}

/** A body that trickles: `chunk` bytes every `everyMs` ms, forever (until the socket dies). */
async function* trickle(seed: string, chunk = 16 * 1024, everyMs = 5): AsyncGenerator<Buffer> {
  for await (const c of pseudoRandom(seed, Number.MAX_SAFE_INTEGER, chunk)) {
    yield c;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function bytesOf(seed: string, size: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of pseudoRandom(seed, size)) parts.push(c);
  return Buffer.concat(parts);
}

/** After a restart: nothing partial anywhere, and the index and the disk tell the same story. */
async function assertConsistent(d: Daemon, token: string): Promise<string[]> {
  assert.deepEqual(dirEntries(tmpDir), [], '.hcd/tmp is empty after recovery');
  const listed = await listFiles(d.base, token);
  assert.deepEqual(listed, diskFiles(workspace), 'every listed file is on disk and every file on disk is listed');
  const storage = await api(d.base, token, 'GET', '/api/admin/storage');
  assert.equal(storage.status, 200);
  assert.deepEqual(storage.json.missing, [], 'no indexed file is missing from the disk');
  const rec = await api(d.base, token, 'POST', '/api/admin/reconcile');
  assert.equal(rec.status, 200);
  assert.equal(rec.json.added, 0, 'reconcile finds nothing unindexed on disk');
  assert.equal(rec.json.updated, 0, 'reconcile finds no stale size or mtime');
  assert.deepEqual(rec.json.missing, [], 'reconcile finds no indexed file missing');
  return listed;
}

describe('kill -9 during uploads', { timeout: 180_000 }, () => {
  const finished = [
    { rel: 'done/photo.jpg', seed: 'finished-1', size: 3 * MiB + 17 },
    { rel: 'done/notes été.txt', seed: 'finished-2', size: 4321 },
  ];
  const slow = ['slow/one.bin', 'slow/two.bin', 'slow/deep/three.bin', 'four.bin'];

  test('4 slow uploads in flight and 2 finished ones, then SIGKILL and restart', async () => {
    const d1 = await start();
    const token = await login(d1.base, 'admin', adminPassword);
    const auth = { authorization: `Bearer ${token}` };
    const url = (rel: string) => `/api/fs/workspace/${rel.split('/').map(encodeURIComponent).join('/')}`;

    for (const f of finished) {
      const put = await request(d1.port, 'PUT', url(f.rel), { headers: { ...auth, 'content-length': String(f.size) }, body: await bytesOf(f.seed, f.size) });
      assert.equal(put.status, 201, put.text());
    }

    // Four uploads that never finish (chunked, a little every few ms), and one overwrite of a
    // finished file that never finishes either: the original must survive it.
    const inFlight = [
      ...slow.map((rel) => request(d1.port, 'PUT', url(rel), { headers: auth, body: trickle(rel) })),
      request(d1.port, 'PUT', `${url(finished[0]!.rel)}?overwrite=1`, {
        headers: { ...auth, 'content-length': String(100 * MiB) },
        body: trickle('overwrite'),
      }),
    ].map((p) =>
      p.then(
        (r) => ({ status: r.status }),
        (err: Error) => ({ error: err.message }),
      ),
    );

    // All five are really writing: five temp files, each with bytes in it.
    await poll(
      'five temp files receiving bytes',
      () => {
        const files = dirEntries(tmpDir);
        return files.length === 5 && files.every((f) => (fs.statSync(path.join(tmpDir, f), { throwIfNoEntry: false })?.size ?? 0) > 64 * 1024);
      },
      30_000,
    );

    await kill9(d1);
    const outcomes = await Promise.all(inFlight);
    for (const o of outcomes) assert.ok('error' in o, `the client saw the connection die, not an answer: ${JSON.stringify(o)}`);
    assert.equal(dirEntries(tmpDir).length, 5, 'the crash left its partial files in .hcd/tmp');

    const d2 = await start();
    assert.equal(d2.adminPassword, undefined, 'no new admin on restart');
    assert.match(d2.output(), /storage ready .*uploadsDiscarded=5/);
    const token2 = await login(d2.base, 'admin', adminPassword);

    const listed = await assertConsistent(d2, token2);
    assert.deepEqual(listed, finished.map((f) => f.rel).sort(), 'only the finished uploads are visible');
    for (const rel of slow) {
      const r = await request(d2.port, 'GET', url(rel), { headers: { authorization: `Bearer ${token2}` } });
      assert.equal(r.status, 404, `${rel} is not there`);
    }
    assert.ok(!fs.existsSync(path.join(workspace, 'slow')), 'not even the folders of the unfinished uploads');
    for (const f of finished) {
      const expected = sha256(await bytesOf(f.seed, f.size));
      const down = await downloadHash(d2.port, url(f.rel), { authorization: `Bearer ${token2}` });
      assert.equal(down.status, 200);
      assert.equal(down.size, f.size);
      assert.equal(down.sha256, expected, `${f.rel} is intact`);
      assert.equal(sha256(fs.readFileSync(path.join(workspace, ...f.rel.split('/')))), expected);
    }
    const trash = await api(d2.base, token2, 'GET', '/api/trash');
    assert.deepEqual(trash.json.items, [], 'the unfinished overwrite put nothing in the trash');

    // The restarted daemon takes the same uploads again.
    const body = Buffer.from('second try\n');
    const again = await request(d2.port, 'PUT', url(slow[0]!), { headers: { authorization: `Bearer ${token2}`, 'content-length': String(body.length) }, body });
    assert.equal(again.status, 201, again.text());
    await kill9(d2);
  });

  test('SIGKILL during a burst of small uploads: whatever is visible is whole', async (t) => {
    const d3 = await start();
    const token = await login(d3.base, 'admin', adminPassword);
    const auth = { authorization: `Bearer ${token}` };
    const N = 40;
    const size = (i: number) => 64 * 1024 + i * 1013;
    const name = (i: number) => `burst/f${String(i).padStart(2, '0')}.bin`;
    const contents = await Promise.all(Array.from({ length: N }, (_, i) => bytesOf(name(i), size(i))));
    let done = 0;
    const answered = new Set<string>();
    const all = contents.map((body, i) =>
      request(d3.port, 'PUT', `/api/fs/workspace/${name(i)}`, { headers: { ...auth, 'content-length': String(body.length) }, body }).then(
        (r) => {
          if (r.status === 201) {
            done++;
            answered.add(name(i));
          }
          return r.status;
        },
        () => 0,
      ),
    );
    // Kill it as soon as the first ones have gone through, while the rest are mid-way.
    await poll('the first uploads to finish', () => done >= 1, 30_000, 1);
    await kill9(d3);
    await Promise.all(all);

    const d4 = await start();
    const token4 = await login(d4.base, 'admin', adminPassword);
    const listed = await assertConsistent(d4, token4);
    const burst = listed.filter((f) => f.startsWith('burst/'));
    t.diagnostic(`${answered.size} of ${N} uploads answered 201 before the kill; ${burst.length} visible after the restart`);
    for (const rel of answered) assert.ok(burst.includes(rel), `${rel} was answered 201, so it survives the crash`);
    for (const rel of burst) {
      const i = Number(/f(\d+)\.bin$/.exec(rel)![1]);
      assert.equal(sha256(fs.readFileSync(path.join(workspace, ...rel.split('/')))), sha256(contents[i]!), `${rel} is whole`);
    }
    await dispose(d4, { keepDir: true });
  });
});
