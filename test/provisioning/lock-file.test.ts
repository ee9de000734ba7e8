// The helper's cross-process lock (provisioning/lib/lock-file.ts): one holder at a time, released after a
// failure too, and a lock left by a process that is gone (killed, a power cut) taken over.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { LockBusy, withLockFile } from '../../provisioning/lib/lock-file.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-lock-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a second holder is refused while the first runs; the lock goes when the first ends, even by a throw', async () => {
  const lock = path.join(dir, 'a.lock');
  let release!: () => void;
  const first = withLockFile(lock, () => new Promise<string>((r) => (release = () => r('first'))));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(fs.readFileSync(lock, 'utf8'), `${process.pid}\n`);
  await assert.rejects(
    withLockFile(lock, async () => 'second'),
    LockBusy,
  );
  release();
  assert.equal(await first, 'first');
  assert.equal(fs.existsSync(lock), false);
  await assert.rejects(
    withLockFile(lock, async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(fs.existsSync(lock), false);
  assert.equal(await withLockFile(lock, async () => 'third'), 'third');
});

test('a lock whose owner is gone, or too old, is taken over; a live owner’s is not', async () => {
  const lock = path.join(dir, 'b.lock');
  // A pid that existed and has exited.
  const gone = spawnSync('true').pid;
  fs.writeFileSync(lock, `${gone}\n`);
  assert.equal(await withLockFile(lock, async () => 'taken over'), 'taken over');
  // A live process (pid 1) that holds it: refused, until it is older than staleMs.
  fs.writeFileSync(lock, '1\n');
  await assert.rejects(
    withLockFile(lock, async () => 'x'),
    LockBusy,
  );
  const old = new Date(Date.now() - 10 * 60_000);
  fs.utimesSync(lock, old, old);
  assert.equal(await withLockFile(lock, async () => 'stale', { staleMs: 60_000 }), 'stale');
  assert.equal(fs.existsSync(lock), false);
});
