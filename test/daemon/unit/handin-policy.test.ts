// Every cell of the hand-in matrix (policy.ts's canHandin): role × own/other's file × before/after the
// deadline × open/closed, and on the roster or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canHandin, type Actor, type HandinStanding } from '../../../daemon/src/policy/policy.js';

const user: Actor = { username: 'ulla', role: 'user' };
const adv: Actor = { username: 'ada', role: 'advanced' };
const admin: Actor = { username: 'root1', role: 'admin' };
const ROLES = [user, adv, admin];

const standing = (o: Partial<HandinStanding> = {}): HandinStanding => ({ member: true, submitted: false, closed: false, pastDeadline: false, ...o });

// [role, own file?, past the deadline?, closed?] → may withdraw or replace. Written out cell by cell.
const WITHDRAW: [Actor, boolean, boolean, boolean, boolean][] = [
  [user, true, false, false, true],
  [user, true, false, true, false],
  [user, true, true, false, false],
  [user, true, true, true, false],
  [user, false, false, false, false],
  [user, false, false, true, false],
  [user, false, true, false, false],
  [user, false, true, true, false],
  [adv, true, false, false, true],
  [adv, true, false, true, false],
  [adv, true, true, false, false],
  [adv, true, true, true, false],
  [adv, false, false, false, false],
  [adv, false, false, true, false],
  [adv, false, true, false, false],
  [adv, false, true, true, false],
  [admin, true, false, false, true],
  [admin, true, false, true, true],
  [admin, true, true, false, true],
  [admin, true, true, true, true],
  [admin, false, false, false, true],
  [admin, false, false, true, true],
  [admin, false, true, false, true],
  [admin, false, true, true, true],
];

test('withdraw or replace: one’s own file until the deadline while open, whatever the role; administrators any file, always', () => {
  for (const [actor, own, pastDeadline, closed, expected] of WITHDRAW) {
    const submitter = own ? actor.username : 'someone-else';
    assert.equal(
      canHandin(actor, 'withdraw', standing({ pastDeadline, closed, submitted: own }), submitter),
      expected,
      `${actor.role} own=${own} past=${pastDeadline} closed=${closed}`,
    );
  }
  assert.equal(canHandin(user, 'withdraw', standing()), false, 'no submitter named: nothing to withdraw');
});

test('read (download, preview) a file: its submitter and administrators; deadline and closing change nothing', () => {
  for (const actor of ROLES) {
    for (const pastDeadline of [false, true]) {
      for (const closed of [false, true]) {
        for (const member of [false, true]) {
          const s = standing({ pastDeadline, closed, member, submitted: true });
          assert.equal(canHandin(actor, 'read', s, actor.username), true, `${actor.role} own`);
          assert.equal(canHandin(actor, 'read', s, 'someone-else'), actor.role === 'admin', `${actor.role} other's`);
        }
      }
    }
  }
});

test('submit: anyone on the roster while open (late after the deadline is still handing in); never off the roster or once closed', () => {
  for (const actor of ROLES) {
    for (const pastDeadline of [false, true]) {
      assert.equal(canHandin(actor, 'submit', standing({ pastDeadline })), true, `${actor.role} member, open, past=${pastDeadline}`);
      assert.equal(canHandin(actor, 'submit', standing({ pastDeadline, closed: true })), false, `${actor.role} closed`);
      assert.equal(canHandin(actor, 'submit', standing({ pastDeadline, member: false })), false, `${actor.role} not a member`);
      assert.equal(canHandin(actor, 'submit', standing({ pastDeadline, member: false, submitted: true })), false, `${actor.role} left the group`);
    }
  }
});

test('see the hand-in: administrators, its roster, and whoever handed something in; manage: administrators only', () => {
  for (const actor of ROLES) {
    for (const closed of [false, true]) {
      for (const pastDeadline of [false, true]) {
        const base = { closed, pastDeadline };
        assert.equal(canHandin(actor, 'see', standing({ ...base, member: true })), true);
        assert.equal(canHandin(actor, 'see', standing({ ...base, member: false, submitted: true })), true);
        assert.equal(canHandin(actor, 'see', standing({ ...base, member: false })), actor.role === 'admin');
        for (const member of [false, true]) assert.equal(canHandin(actor, 'manage', standing({ ...base, member })), actor.role === 'admin');
      }
    }
  }
});
