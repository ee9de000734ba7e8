// The write-ahead log's checkpoints in a worker thread (db/checkpointer.ts): the daemon's own
// connection never checkpoints inside a commit, the worker does, and nothing is lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Checkpointer } from '../../../daemon/src/db/checkpointer.js';
import { openDatabase } from '../../../daemon/src/db/connection.js';
import { migrate } from '../../../daemon/src/db/migrate.js';

test('commits leave the log to the worker, which checkpoints it; the log is reused and every row is kept', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-ckpt-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'hcd.db');
  const db = openDatabase(file);
  migrate(db);
  const errors: string[] = [];
  // Rounds only when asked: the test decides when the worker checkpoints.
  const cp = new Checkpointer(db, 3_600_000, (m) => errors.push(m));
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0, "the daemon's connection no longer checkpoints");

  const ins = db.prepare(
    "INSERT INTO files (space, path, parent, name, type, size, owner, created_at, mtime) VALUES ('workspace', ?, '', ?, 'file', 1, NULL, 0, 0)",
  );
  const write = (from: number, n: number) => {
    for (let i = from; i < from + n; i += 500)
      db.transaction(() => {
        for (let j = i; j < Math.min(i + 500, from + n); j++) ins.run(`f${j}-${'x'.repeat(200)}`, `f${j}`);
      })();
  };
  const walBytes = () => fs.statSync(`${file}-wal`).size;
  write(0, 40_000);
  // SQLite's default would have checkpointed at 1,000 pages (4 MB) and started the log over.
  assert.ok(walBytes() > 8 * 1024 * 1024, `the log grew to ${walBytes()} bytes: no checkpoint inside a commit`);

  const r = await cp.now();
  assert.ok(r.log > 2000, `${r.log} frames in the log`);
  assert.equal(r.checkpointed, r.log, 'every frame copied into the database file');
  const size = walBytes();
  // Once checkpointed, the next commit writes the log from its start again instead of growing it.
  write(40_000, 2_000);
  assert.equal(walBytes(), size, 'the log file was reused, not grown');
  const again = await cp.now();
  assert.ok(again.log < r.log / 4, `the log restarted: ${again.log} frames`);

  await cp.stop();
  db.close();
  assert.deepEqual(errors, []);
  const reopened = openDatabase(file);
  t.after(() => reopened.close());
  assert.equal(reopened.prepare<[], { n: number }>('SELECT count(*) AS n FROM files').get()!.n, 42_000);
  assert.equal(reopened.pragma('integrity_check', { simple: true }), 'ok');
});
