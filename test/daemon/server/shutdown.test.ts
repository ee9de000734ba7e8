// Graceful shutdown: SIGTERM lets uploads in flight finish within HCD_SHUTDOWN_GRACE_SECONDS, aborts
// the ones that stall past it without leaving anything partial, and exits cleanly.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  dirEntries,
  diskFiles,
  dispose,
  listFiles,
  login,
  poll,
  pseudoRandom,
  request,
  sha256,
  startDaemon,
  type Daemon,
  type Reply,
} from '../../helpers/server.js';

const MiB = 1024 * 1024;
const daemons: Daemon[] = [];
after(async () => {
  for (const d of daemons) await dispose(d);
});

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

/** Sends `first` bytes, waits for the gate, then (if told to) the remaining bytes. */
async function* gated(seed: string, first: number, total: number, g: { opened: Promise<void> }, finish = true): AsyncGenerator<Buffer> {
  let sent = 0;
  for await (const c of pseudoRandom(seed, total, 256 * 1024)) {
    if (sent === first) {
      await g.opened;
      if (!finish) return;
    }
    yield c;
    sent += c.length;
  }
}

const tmpDir = (d: Daemon) => path.join(d.dir, 'data', '.hcd', 'tmp');
const tmpBytes = (d: Daemon) => dirEntries(tmpDir(d)).reduce((n, f) => n + (fs.statSync(path.join(tmpDir(d), f), { throwIfNoEntry: false })?.size ?? 0), 0);

async function bytesOf(seed: string, size: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of pseudoRandom(seed, size, 256 * 1024)) parts.push(c);
  return Buffer.concat(parts);
}

describe('SIGTERM with uploads in flight', { timeout: 120_000 }, () => {
  test('an upload that completes within the grace period gets its 201 and is kept', async () => {
    const d = await startDaemon({ env: { HCD_SHUTDOWN_GRACE_SECONDS: '20' } });
    daemons.push(d);
    const password = d.adminPassword!;
    const auth = { authorization: `Bearer ${await login(d.base, 'admin', password)}` };
    const SIZE = 8 * MiB;
    const g = gate();
    const upload = request(d.port, 'PUT', '/api/fs/workspace/inflight/finishes.bin', {
      headers: { ...auth, 'content-length': String(SIZE) },
      body: gated('finishes', 2 * MiB, SIZE, g),
    });
    await poll('the upload to be under way', () => tmpBytes(d) >= 2 * MiB, 15_000);

    const exited = d.stop('SIGTERM');
    await poll('the daemon to start shutting down', () => /shutting down signal=SIGTERM uploadsInFlight=1/.test(d.output()), 10_000);
    // It takes no new connection while it drains.
    await assert.rejects(request(d.port, 'GET', '/api/health'), /ECONNREFUSED|ECONNRESET|socket hang up/);
    g.open();

    const r: Reply = await upload;
    assert.equal(r.status, 201, r.text());
    assert.equal(r.json().size, SIZE);
    assert.equal(await exited, 0, 'exit code 0');
    assert.match(d.output(), /stopped uploadsFinished=1 uploadsAborted=0/);

    const d2 = await startDaemon({ dir: d.dir });
    daemons.push(d2);
    const token2 = await login(d2.base, 'admin', password);
    assert.deepEqual(await listFiles(d2.base, token2), ['inflight/finishes.bin']);
    assert.deepEqual(dirEntries(tmpDir(d2)), []);
    const get = await request(d2.port, 'GET', '/api/fs/workspace/inflight/finishes.bin', { headers: { authorization: `Bearer ${token2}` } });
    assert.equal(get.status, 200);
    assert.equal(sha256(get.body), sha256(await bytesOf('finishes', SIZE)));
  });

  test('uploads that stall past the grace period are aborted: exit 0 in time, nothing partial left', async (t) => {
    const GRACE = 2;
    const d = await startDaemon({ env: { HCD_SHUTDOWN_GRACE_SECONDS: String(GRACE) } });
    daemons.push(d);
    const password = d.adminPassword!;
    const auth = { authorization: `Bearer ${await login(d.base, 'admin', password)}` };
    const g = gate();
    const settled = (p: Promise<Reply>) =>
      p.then(
        (r) => ({ status: r.status, code: r.status ? safeCode(r) : undefined }),
        (err: Error) => ({ error: err.message }),
      );
    const stalled = [
      settled(
        request(d.port, 'PUT', '/api/fs/workspace/stalled/with-length.bin', {
          headers: { ...auth, 'content-length': String(16 * MiB) },
          body: gated('s1', 1 * MiB, 16 * MiB, g, false),
        }),
      ),
      settled(request(d.port, 'PUT', '/api/fs/workspace/stalled/chunked.bin', { headers: auth, body: gated('s2', 1 * MiB, 16 * MiB, g, false) })),
    ];
    await poll('both uploads to be under way', () => dirEntries(tmpDir(d)).length === 2 && tmpBytes(d) >= 2 * MiB, 15_000);

    const t0 = Date.now();
    const code = await Promise.race([d.stop('SIGTERM'), new Promise<'late'>((r) => setTimeout(() => r('late'), (GRACE + 5) * 1000).unref())]);
    const took = Date.now() - t0;
    t.diagnostic(`exited ${took} ms after SIGTERM (grace ${GRACE} s)`);
    assert.notEqual(code, 'late', `the daemon did not exit within grace + 5 s:\n${d.output()}`);
    assert.equal(code, 0, 'exit code 0');
    assert.ok(took >= GRACE * 1000 - 200, `it waited for the grace period first (${took} ms)`);
    assert.match(d.output(), /stopped uploadsFinished=0 uploadsAborted=2/);
    assert.doesNotMatch(d.output(), /unhandled error|fatal/);
    g.open();
    const outcomes = await Promise.all(stalled);
    t.diagnostic(`the stalled clients saw: ${JSON.stringify(outcomes)}`);
    for (const o of outcomes) {
      // The client gets a 503 if the answer makes it out before the connection closes, else a reset.
      if ('status' in o) assert.deepEqual(o, { status: 503, code: 'shutting_down' });
    }
    assert.deepEqual(dirEntries(tmpDir(d)), [], 'the aborted uploads removed their temp files before the exit');
    assert.deepEqual(diskFiles(path.join(d.dir, 'data', 'workspace')), []);

    const d2 = await startDaemon({ dir: d.dir });
    daemons.push(d2);
    assert.match(d2.output(), /storage ready .*uploadsDiscarded=0 .*tempFilesRemoved=0/, 'nothing was left for recovery to clean');
    const token2 = await login(d2.base, 'admin', password);
    assert.deepEqual(await listFiles(d2.base, token2), []);
  });
});

function safeCode(r: Reply): string | undefined {
  try {
    return r.json().error?.code;
  } catch {
    return undefined;
  }
}
