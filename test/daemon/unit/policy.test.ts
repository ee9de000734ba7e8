// Every cell of DESIGN.md's role matrix, at the policy module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  can,
  canAdminister,
  canManageTrashItem,
  canTidyEmptyFolder,
  hasContainer,
  ownersAllow,
  type Actor,
  type Space,
} from '../../../daemon/src/policy/policy.js';

const user: Actor = { username: 'ulla', role: 'user' };
const adv: Actor = { username: 'ada', role: 'advanced' };
const admin: Actor = { username: 'root1', role: 'admin' };
const ws: Space = { kind: 'workspace' };
const home = (a: Actor): Space => ({ kind: 'container', username: a.username });
const other: Space = { kind: 'container', username: 'someone' };

test('workspace: everyone lists, downloads, uploads and creates folders', () => {
  for (const a of [user, adv, admin]) {
    assert.equal(can(a, 'read', ws), true, a.role);
    assert.equal(can(a, 'create', ws), true, a.role);
  }
});

test('workspace: overwrite/rename/move/delete — user never, advanced own only, admin all', () => {
  assert.equal(can(user, 'modify', ws, 'ulla'), false);
  assert.equal(can(user, 'modify', ws, 'ada'), false);
  assert.equal(can(adv, 'modify', ws, 'ada'), true);
  assert.equal(can(adv, 'modify', ws, 'ulla'), false);
  assert.equal(can(adv, 'modify', ws, null), false, 'unknown owner is not theirs');
  assert.equal(can(admin, 'modify', ws, 'ulla'), true);
  assert.equal(can(admin, 'modify', ws, null), true);
});

test('own container: user has none; advanced and admin have full control', () => {
  assert.equal(hasContainer(user), false);
  for (const action of ['read', 'create', 'modify'] as const) assert.equal(can(user, action, home(user)), false, action);
  for (const a of [adv, admin]) {
    assert.equal(hasContainer(a), true);
    for (const action of ['read', 'create', 'modify'] as const) assert.equal(can(a, action, home(a), 'anyone'), true, `${a.role} ${action}`);
  }
});

test("other users' containers: only admin", () => {
  for (const action of ['read', 'create', 'modify'] as const) {
    assert.equal(can(user, action, other), false);
    assert.equal(can(adv, action, other), false);
    assert.equal(can(admin, action, other, 'someone'), true);
  }
});

test('users, quotas, storage, audit log, health: only admin', () => {
  assert.deepEqual([user, adv, admin].map(canAdminister), [false, false, true]);
});

test('trash: admin manages any item, others what they deleted and their role may still change there', () => {
  const item = (deleted_by: string, space: string, owner: string | null) => ({ deleted_by, space, owner });
  assert.equal(canManageTrashItem(admin, item('ada', 'workspace', 'ada')), true);
  assert.equal(canManageTrashItem(admin, item('someone', 'users/bob', 'bob')), true);
  assert.equal(canManageTrashItem(adv, item('ada', 'workspace', 'ada')), true);
  assert.equal(canManageTrashItem(adv, item('ada', 'users/ada', 'ada')), true);
  assert.equal(canManageTrashItem(adv, item('root1', 'workspace', 'ada')), false, 'deleted by someone else');
  assert.equal(canManageTrashItem(user, item('ada', 'workspace', 'ada')), false);
  // A demoted administrator: what it deleted as admin is no longer its own to see or purge.
  assert.equal(canManageTrashItem(adv, item('ada', 'users/bob', 'bob')), false, "another's container");
  assert.equal(canManageTrashItem(adv, item('ada', 'workspace', 'bob')), false, "another's workspace file");
  assert.equal(canManageTrashItem({ username: 'ada', role: 'user' }, item('ada', 'workspace', 'ada')), false, 'demoted to user');
});

test('an empty workspace folder may be tidied away by its creator, whatever the role', () => {
  assert.equal(canTidyEmptyFolder(user, ws, 'ulla'), true);
  assert.equal(canTidyEmptyFolder(user, ws, 'ada'), false);
  assert.equal(canTidyEmptyFolder(user, ws, null), false);
  assert.equal(canTidyEmptyFolder(adv, home(adv), 'ada'), false, 'containers follow the matrix');
});

test('folders: advanced may modify a workspace folder only when everything inside is theirs', () => {
  assert.equal(ownersAllow(adv, ws, 0), true);
  assert.equal(ownersAllow(adv, ws, 1), false);
  assert.equal(ownersAllow(user, ws, 0), false);
  assert.equal(ownersAllow(admin, ws, 5), true);
  assert.equal(ownersAllow(adv, home(adv), 3), true);
});
