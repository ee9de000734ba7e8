// The password-hashing pool: bcryptjs's format kept, errors and dead threads, the size, closing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { PasswordHasher } from '../../../daemon/src/services/password-hasher.js';
import { Accounts, BCRYPT_COST } from '../../../daemon/src/services/accounts.js';
import { openDatabase } from '../../../daemon/src/db/connection.js';
import { migrate } from '../../../daemon/src/db/migrate.js';

test('hashes in bcryptjs format at the given cost; checks hashes made on the main thread by bcryptjs', async (t) => {
  const h = new PasswordHasher(2);
  t.after(() => h.close());
  assert.equal(h.threadCount, 0, 'started on first use only');
  const made = await h.hash('correct horse', 4);
  assert.match(made, /^\$2b\$04\$[./A-Za-z0-9]{53}$/);
  assert.equal(bcrypt.compareSync('correct horse', made), true);
  const old = bcrypt.hashSync('an older password', 4);
  assert.equal(await h.compare('an older password', old), true);
  assert.equal(await h.compare('another one', old), false);
});

test('never more threads than its size; queued jobs all complete', async (t) => {
  const h = new PasswordHasher(2);
  t.after(() => h.close());
  const hashes = await Promise.all(Array.from({ length: 6 }, (_, i) => h.hash(`password ${i}`, 4)));
  assert.equal(h.threadCount, 2);
  assert.deepEqual(await Promise.all(hashes.map((x, i) => h.compare(`password ${i}`, x))), [true, true, true, true, true, true]);
});

test('after a burst, threads beyond `keep` stop once idle; the next burst starts them again', async (t) => {
  const h = new PasswordHasher(3, { keep: 1, idleMs: 3000 });
  t.after(() => h.close());
  await Promise.all(Array.from({ length: 6 }, (_, i) => h.hash(`burst ${i}`, 4)));
  assert.equal(h.threadCount, 3);
  const deadline = Date.now() + 15_000;
  while (h.threadCount > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  assert.equal(h.threadCount, 1, 'idle threads stop down to keep');
  const again = await Promise.all(Array.from({ length: 6 }, (_, i) => h.hash(`again ${i}`, 4)));
  assert.equal(h.threadCount, 3);
  assert.equal(await h.compare('again 5', again[5]!), true);
});

test('warm() starts only the kept threads', async (t) => {
  const h = new PasswordHasher(4, { keep: 1 });
  t.after(() => h.close());
  await h.warm();
  assert.equal(h.threadCount, 1);
});

test('an error in the worker rejects that call only; the thread goes on', async (t) => {
  const h = new PasswordHasher(1);
  t.after(() => h.close());
  // Not a string: bcryptjs refuses it (a cost over 31 would not do: bcryptjs clamps it to 31 and runs for hours).
  await assert.rejects(h.hash(42 as unknown as string, 4), /password hashing failed: Illegal arguments/);
  assert.equal(await h.compare('x', bcrypt.hashSync('x', 4)), true);
  assert.equal(h.threadCount, 1);
});

test('a thread that dies rejects its job and is replaced', async (t) => {
  const h = new PasswordHasher(1);
  t.after(() => h.close());
  await h.hash('warm up', 4);
  const job = h.hash('password', 12);
  const queued = h.hash('next in line', 4);
  // Killing it from outside stands for a crash (out of memory, a bug in the worker).
  const threads = (h as unknown as { threads: { worker: { terminate(): Promise<number> } }[] }).threads;
  await threads[0]!.worker.terminate();
  await assert.rejects(job, /thread exited/);
  assert.equal(bcrypt.compareSync('next in line', await queued), true, 'the queue goes on on a fresh thread');
  assert.equal(h.threadCount, 1);
});

test('close rejects what is queued and refuses new work', async () => {
  const h = new PasswordHasher(1);
  const running = h.hash('one', 10);
  const queued = h.hash('two', 10);
  // Both are rejected during close(): watched before it, so that no rejection goes unhandled.
  const refused = [assert.rejects(running, /closed/), assert.rejects(queued, /closed/)];
  await h.close();
  await Promise.all(refused);
  await assert.rejects(h.compare('x', 'y'), /closed/);
  assert.equal(h.threadCount, 0);
});

test("an unknown user's login is checked on the pool against a hash of the same cost (no timing tell)", async (t) => {
  const db = openDatabase(':memory:');
  migrate(db);
  const h = new PasswordHasher(1);
  t.after(() => (h.close(), db.close()));
  const seen: string[] = [];
  const compare = h.compare.bind(h);
  h.compare = (password, hash) => (seen.push(hash), compare(password, hash));
  const accounts = new Accounts(db, { now: () => Date.now() }, h);
  const r = await accounts.login('ghost', 'whatever-password', '10.0.0.9', null);
  assert.equal(r.ok, false);
  assert.equal(seen.length, 1);
  assert.match(seen[0]!, new RegExp(`^\\$2b\\$${String(BCRYPT_COST).padStart(2, '0')}\\$[./A-Za-z0-9]{53}$`));
});
