// The usage counters (migration 0010) against the sums they replace: after every kind of write the
// index makes, and when an older database is migrated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type Db } from '../../../daemon/src/db/connection.js';
import { migrate, migrations } from '../../../daemon/src/db/migrate.js';
import { fileQueries, type NewFileRow } from '../../../daemon/src/db/queries/files.js';
import { handinQueries } from '../../../daemon/src/db/queries/handins.js';

// The storage report's sums as they were before the counters: every row read.
function summed(db: Db) {
  const owners = db
    .prepare<[], { owner: string | null; bytes: number; files: number }>(
      `SELECT owner, sum(size) AS bytes, count(*) AS files FROM (
         SELECT owner, size FROM files WHERE type = 'file' AND missing_since IS NULL
         UNION ALL SELECT username AS owner, size FROM handin_submissions
       ) GROUP BY owner ORDER BY owner`,
    )
    .all();
  const spaces = db
    .prepare<[], { space: string; bytes: number; files: number; dirs: number }>(
      `SELECT space, coalesce(sum(CASE WHEN type = 'file' THEN size END), 0) AS bytes,
         count(CASE WHEN type = 'file' THEN 1 END) AS files, count(CASE WHEN type = 'dir' THEN 1 END) AS dirs
       FROM files WHERE missing_since IS NULL GROUP BY space ORDER BY space`,
    )
    .all();
  return { owners, spaces };
}

function counted(db: Db) {
  const q = fileQueries(db);
  const owners = [...q.usageByOwner()].sort((a, b) => (a.owner ?? '').localeCompare(b.owner ?? ''));
  return { owners, spaces: q.usageBySpace() };
}

function addUsers(db: Db, names: string[]) {
  const ins = db.prepare("INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES (?, 'x', 'advanced', 0, 0)");
  for (const n of names) ins.run(n);
}

// A small deterministic generator (mulberry32): the same sequence of changes on every run.
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('the counters equal the full sums after every kind of change to the index and the hand-ins', () => {
  const db = openDatabase(':memory:');
  migrate(db);
  const owners = ['ana', 'bob', 'chloe'];
  addUsers(db, owners);
  const files = fileQueries(db);
  const handins = handinQueries(db);
  const handin = handins.insert({ title: 'TP', instructions: '', deadline: null, group_id: null, closed_at: null, created_by: 'ana', now: 0 });
  const spaces = ['workspace', 'users/ana', 'users/bob'];
  const r = rng(16);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const paths = ['a', 'a/b', 'a/b/c.txt', 'a/d.txt', 'e', 'e/f.txt', 'g.txt', 'h.txt'];
  const row = (): NewFileRow => {
    const p = pick(paths);
    return {
      space: pick(spaces),
      path: p,
      type: p.endsWith('.txt') ? 'file' : 'dir',
      size: p.endsWith('.txt') ? Math.floor(r() * 10_000) : 0,
      owner: r() < 0.2 ? null : pick(owners),
      sha256: null,
      created_at: 0,
      mtime: 0,
    };
  };
  const kinds = new Map<string, number>();
  let submissions = 0;
  for (let step = 0; step < 1500; step++) {
    const kind = pick(['upsert', 'upsert', 'insertIgnore', 'markMissing', 'updateStat', 'deleteSubtree', 'move', 'handIn', 'withdraw']);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    const some = () => db.prepare<[], { id: number; space: string; path: string }>('SELECT id, space, path FROM files ORDER BY random() LIMIT 1').get();
    switch (kind) {
      case 'upsert':
        files.upsert(row());
        break;
      case 'insertIgnore':
        files.insertIgnore(row());
        break;
      case 'markMissing': {
        const f = some();
        if (f) files.markMissing(f.id, 1);
        break;
      }
      case 'updateStat': {
        const f = some();
        if (f) files.updateStat(f.id, Math.floor(r() * 5000), 1, null);
        break;
      }
      case 'deleteSubtree': {
        const f = some();
        if (f && r() < 0.5) files.deleteSubtree(f.space, f.path);
        break;
      }
      case 'move': {
        const f = some();
        const to = `m${step}`;
        if (f && !f.path.includes('/')) files.move(f.space, f.path, to);
        break;
      }
      case 'handIn':
        handins.insertSubmission({
          handin_id: handin,
          username: pick(owners),
          name: `n${step}.pdf`,
          stored: `s${step}`,
          size: Math.floor(r() * 3000),
          sha256: 'x',
          receipt: `R${step}`,
          submitted_at: 0,
        });
        submissions++;
        break;
      case 'withdraw': {
        const s = db.prepare<[], { id: number }>('SELECT id FROM handin_submissions ORDER BY random() LIMIT 1').get();
        if (s) db.prepare('DELETE FROM handin_submissions WHERE id = ?').run(s.id);
        break;
      }
    }
    if (step % 50 === 0) assert.deepEqual(counted(db), summed(db), `after step ${step} (${kind})`);
  }
  assert.deepEqual(counted(db), summed(db));
  // A whole hand-in deleted: its submissions go by ON DELETE CASCADE, which fires their triggers too.
  assert.ok(submissions > 50, 'the run handed files in');
  handins.delete(handin);
  assert.deepEqual(counted(db), summed(db));
  assert.equal(db.prepare<[], { n: number }>('SELECT count(*) AS n FROM handin_submissions').get()!.n, 0);
  // The run did exercise every change, and the counters are not trivially empty.
  assert.equal(kinds.size, 8, [...kinds.keys()].join(' '));
  assert.ok(summed(db).owners.length >= 3 && summed(db).spaces.length === 3, JSON.stringify(summed(db)));
  for (const o of owners) {
    const expected = summed(db).owners.find((u) => u.owner === o)?.bytes ?? 0;
    assert.equal(files.usageOf(o), expected, `usageOf(${o})`);
  }
  assert.equal(files.usageOf('nobody'), 0);
});

test('migrating a database that already has files and hand-ins fills the counters from them', () => {
  const db = openDatabase(':memory:');
  const before = migrations.findIndex((m) => m.name === '0010-usage-counters');
  assert.ok(before > 0);
  migrate(db, migrations.slice(0, before));
  addUsers(db, ['ana', 'bob']);
  const ins = db.prepare(
    `INSERT INTO files (space, path, parent, name, type, size, owner, created_at, mtime, missing_since)
     VALUES (?, ?, '', ?, ?, ?, ?, 0, 0, ?)`,
  );
  ins.run('workspace', 'x.txt', 'x.txt', 'file', 100, 'ana', null);
  ins.run('workspace', 'y.txt', 'y.txt', 'file', 20, null, null);
  ins.run('workspace', 'gone.txt', 'gone.txt', 'file', 7, 'ana', 5);
  ins.run('workspace', 'dir', 'dir', 'dir', 0, 'bob', null);
  ins.run('users/bob', 'z.txt', 'z.txt', 'file', 3, 'bob', null);
  db.prepare("INSERT INTO handins (title, created_by, created_at, updated_at) VALUES ('TP', 'ana', 0, 0)").run();
  db.prepare(
    "INSERT INTO handin_submissions (handin_id, username, name, stored, size, sha256, receipt, submitted_at) VALUES (1, 'bob', 'a.pdf', 's', 1000, 'x', 'R', 0)",
  ).run();
  migrate(db);
  assert.deepEqual(counted(db), summed(db));
  assert.deepEqual(counted(db).spaces, [
    { space: 'users/bob', bytes: 3, files: 1, dirs: 0 },
    { space: 'workspace', bytes: 120, files: 2, dirs: 1 },
  ]);
  assert.equal(fileQueries(db).usageOf('bob'), 1003);
  assert.equal(fileQueries(db).usageOf('ana'), 100);
  assert.deepEqual(
    counted(db).owners.find((o) => o.owner === null),
    { owner: null, bytes: 20, files: 1 },
    'files of unknown owner are reported under null, as before',
  );
});

test('the storage report lists missing files through the partial index, not a scan of every row', () => {
  const db = openDatabase(':memory:');
  migrate(db);
  const plan = db
    .prepare<[], { detail: string }>('EXPLAIN QUERY PLAN SELECT * FROM files WHERE missing_since IS NOT NULL ORDER BY space, path')
    .all()
    .map((r) => r.detail)
    .join('; ');
  assert.match(plan, /files_missing/);
});
