// Putting a staged restore in place at start: the replaced database is kept, also when a first attempt was cut off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyStagedRestore, replacedPath, stagedPath } from '../../../daemon/src/services/backups.js';

test('a staged restore replaces the database, which is kept with its WAL beside it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-swap-'));
  const db = path.join(dir, 'hcd.db');
  fs.writeFileSync(db, 'live');
  fs.writeFileSync(`${db}-wal`, 'live wal');
  fs.writeFileSync(stagedPath(db), 'backup');
  assert.equal(applyStagedRestore(db), true);
  assert.equal(fs.readFileSync(db, 'utf8'), 'backup');
  assert.equal(fs.readFileSync(replacedPath(db), 'utf8'), 'live');
  assert.equal(fs.readFileSync(`${replacedPath(db)}-wal`, 'utf8'), 'live wal');
  assert.equal(fs.existsSync(`${db}-wal`), false, 'the old WAL is not replayed into the backup');
  assert.equal(applyStagedRestore(db), false, 'nothing staged any more');
});

test('a start cut off after moving the database aside keeps that database on the next start', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-swap-'));
  const db = path.join(dir, 'hcd.db');
  // The state a power cut between the two renames leaves: the live database moved aside, the backup still staged.
  fs.writeFileSync(replacedPath(db), 'live');
  fs.writeFileSync(stagedPath(db), 'backup');
  assert.equal(applyStagedRestore(db), true);
  assert.equal(fs.readFileSync(db, 'utf8'), 'backup');
  assert.equal(fs.readFileSync(replacedPath(db), 'utf8'), 'live', 'the replaced database survives the retry');
});
