// Recovery of what a kill -9 leaves between an intent's rename and its index update (issue 12, item 17):
// each crash state is made by hand (the intent written, the rename done, the index not), then recovery
// runs as it does at start. Before intents, each of these left a file without its owner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeApp } from '../../helpers/app.js';

test('a move cut after its rename: the index follows the file, which keeps its owner', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const ada = await h.user('ada', 'advanced');
  assert.equal((await h.put(ada, 'workspace/a.txt', 'hello')).status, 201);
  const tree = (h.deps.drive as unknown as { tree: import('../../../daemon/src/services/tree.js').Tree }).tree;
  tree.intend('move', 'workspace', 'a.txt', 'b.txt', 'ada');
  fs.renameSync(path.join(h.dataDir, 'workspace/a.txt'), path.join(h.dataDir, 'workspace/b.txt'));
  const rep = await h.deps.reconciler.recover();
  assert.equal(rep.movesCompleted, 1);
  assert.equal(h.deps.drive.files.get('workspace', 'a.txt'), undefined);
  assert.equal(h.deps.drive.files.get('workspace', 'b.txt')?.owner, 'ada');
  assert.deepEqual(tree.intents.all(), []);
  // Cut before its rename: nothing to do but forget the intent.
  tree.intend('move', 'workspace', 'b.txt', 'c.txt', 'ada');
  assert.equal((await h.deps.reconciler.recover()).movesCompleted, 0);
  assert.equal(h.deps.drive.files.get('workspace', 'b.txt')?.owner, 'ada');
  assert.deepEqual(tree.intents.all(), []);
});

test('a restore to a new name cut after its rename: indexed under its owner, the trash row gone', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const ada = await h.user('ada', 'advanced');
  assert.equal((await h.put(ada, 'workspace/a.txt', 'hello')).status, 201);
  const { trashId } = await h.json(h.req('DELETE', '/api/fs/workspace/a.txt', { token: ada.token }));
  const tree = (h.deps.drive as unknown as { tree: import('../../../daemon/src/services/tree.js').Tree }).tree;
  const item = h.deps.trash.rows.get(trashId)!;
  tree.intend('restore', 'workspace', String(trashId), 'renamed.txt', 'ada');
  fs.renameSync(path.join(h.dataDir, '.hcd/trash', item.stored), path.join(h.dataDir, 'workspace/renamed.txt'));
  const rep = await h.deps.reconciler.recover();
  assert.equal(rep.restoresCompleted, 1);
  assert.deepEqual(rep.trashMissing, [], 'no trash row left without content');
  assert.equal(h.deps.drive.files.get('workspace', 'renamed.txt')?.owner, 'ada');
  assert.equal(h.deps.trash.rows.get(trashId), undefined);
});

test('a tus finish cut before or after its link: the file is in place, indexed under its uploader', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  await h.user('ada', 'advanced');
  const tree = (h.deps.drive as unknown as { tree: import('../../../daemon/src/services/tree.js').Tree }).tree;
  const tusDir = path.join(h.dataDir, '.hcd/tus');
  fs.mkdirSync(tusDir, { recursive: true });
  // Before the link: every byte arrived, nothing in place yet.
  fs.writeFileSync(path.join(tusDir, 'u1'), 'twelve bytes');
  fs.writeFileSync(path.join(tusDir, 'u1.json'), '{}');
  h.deps.uploads.intendTus('u1', 'workspace', ['Photos', 'one.jpg'], 'ada', 12);
  // After the link, before the index.
  fs.writeFileSync(path.join(tusDir, 'u2'), 'abc');
  fs.writeFileSync(path.join(tusDir, 'u2.json'), '{}');
  fs.linkSync(path.join(tusDir, 'u2'), path.join(h.dataDir, 'workspace/two.jpg'));
  h.deps.uploads.intendTus('u2', 'workspace', ['two.jpg'], 'ada', 3);
  const rep = await h.deps.reconciler.recover();
  assert.equal(rep.uploadsCompleted, 2);
  assert.equal(fs.readFileSync(path.join(h.dataDir, 'workspace/Photos/one.jpg'), 'utf8'), 'twelve bytes');
  assert.equal(h.deps.drive.files.get('workspace', 'Photos/one.jpg')?.owner, 'ada');
  assert.equal(h.deps.drive.files.get('workspace', 'two.jpg')?.owner, 'ada');
  assert.deepEqual(fs.readdirSync(tusDir), [], 'the finished uploads are gone from tus');
  assert.deepEqual(tree.intents.all(), []);
});

test('reconciling a large folder leaves the event loop turns between slices of the index, and keeps what appears meanwhile', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const ada = await h.user('ada', 'advanced');
  assert.equal((await h.req('POST', '/api/fs/workspace/copied-in', { body: { op: 'mkdir' }, token: ada.token })).status, 201);
  const dir = path.join(h.dataDir, 'workspace/copied-in');
  for (let i = 0; i < 2500; i++) fs.writeFileSync(path.join(dir, `f${String(i).padStart(4, '0')}.txt`), 'x');
  // A turn of the event loop counted by a setImmediate chain; each write into the index notes the turn it ran in.
  let turn = 0;
  let ticking = true;
  const tick = () => {
    turn++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const files = h.deps.drive.files;
  const turnsOfWrites = new Set<number>();
  const upsert = files.upsert;
  files.upsert = (r) => (turnsOfWrites.add(turn), upsert(r));
  t.after(() => {
    files.upsert = upsert;
  });
  // An upload arrives while the walk runs: it is neither re-owned nor marked missing.
  const during = (async () => {
    await new Promise((r) => setImmediate(r));
    return h.put(ada, 'workspace/copied-in/zz-uploaded-meanwhile.txt', 'mine');
  })();
  const rep = await h.deps.reconciler.reconcile();
  ticking = false;
  assert.equal((await during).status, 201);
  assert.equal(rep.added, 2500, `the 2,500 files copied in: ${JSON.stringify({ ...rep, missing: rep.missing.length })}`);
  assert.deepEqual(rep.missing, []);
  // 2,500 rows in slices of 1,000: three transactions in three different turns (before: one, in one turn).
  assert.ok(turnsOfWrites.size >= 3, `the index was written in ${turnsOfWrites.size} turn(s) of the event loop`);
  const row = files.get('workspace', 'copied-in/zz-uploaded-meanwhile.txt');
  assert.equal(row?.owner, 'ada');
  assert.equal(row?.missing_since, null);
});
