// The operator CLI (dist/daemon/src/cli/main.js) against a real database and a running daemon,
// and the daemon's first-start administrator.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { api, CLI, dispose, login, startDaemon, type Daemon } from '../../helpers/server.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with the daemon's environment variables; `input` goes to its stdin. */
function hcd(env: Record<string, string>, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    p.stdin.end(input ?? '');
  });
}

const show = (r: Run) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

describe('operator CLI', { timeout: 120_000 }, () => {
  let dir = '';
  let env: Record<string, string> = {};
  let d: Daemon | undefined;
  const alicePw = 'correct horse battery';
  const aliceNewPw = 'another long passphrase';

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-cli-'));
    env = { HCD_DATA_DIR: path.join(dir, 'data'), HCD_DB: path.join(dir, 'hcd.db') };
  });
  after(async () => {
    await dispose(d, { keepDir: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('create-admin alice --password-stdin, then she logs in on the running daemon', async () => {
    const r = await hcd(env, ['create-admin', 'alice', '--password-stdin'], `${alicePw}\n`);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /created administrator "alice"/);
    assert.ok(!r.stdout.includes(alicePw) && !r.stderr.includes(alicePw), 'the password is never echoed');

    d = await startDaemon({ dir });
    assert.equal(d.adminPassword, undefined, 'an administrator exists: no generated one');
    assert.doesNotMatch(d.output(), /First start/);
    const token = await login(d.base, 'alice', alicePw);
    const me = await api(d.base, token, 'GET', '/api/auth/me');
    assert.equal(me.status, 200);
    assert.equal((me.json.user ?? me.json).username, 'alice');
    assert.equal((me.json.user ?? me.json).role, 'admin');
  });

  test('bad input: non-zero exit and a clear message, and nothing created', async () => {
    const bad = await hcd(env, ['create-admin', 'Bad Name!', '--password-stdin'], `${alicePw}\n`);
    assert.notEqual(bad.code, 0, show(bad));
    assert.match(bad.stderr, /username/i);
    assert.match(bad.stderr, /2 to 32 characters|lowercase/i);

    const short = await hcd(env, ['create-admin', 'bob', '--password-stdin'], 'short\n');
    assert.notEqual(short.code, 0, show(short));
    assert.match(short.stderr, /at least 8 characters/);

    const taken = await hcd(env, ['create-admin', 'alice', '--password-stdin'], `${alicePw}\n`);
    assert.notEqual(taken.code, 0, show(taken));
    assert.match(taken.stderr, /alice|taken|exists/i);

    const missing = await hcd(env, ['create-admin', '--password-stdin'], `${alicePw}\n`);
    assert.notEqual(missing.code, 0, show(missing));
    assert.match(missing.stderr, /needs a username/);

    const nobody = await hcd(env, ['reset-password', 'nobody', '--password-stdin'], `${aliceNewPw}\n`);
    assert.notEqual(nobody.code, 0, show(nobody));
    assert.match(nobody.stderr, /nobody|no such user|not found/i);

    const unknown = await hcd(env, ['frobnicate']);
    assert.notEqual(unknown.code, 0, show(unknown));
    assert.match(unknown.stderr, /unknown command "frobnicate"/);

    const users = await api(d!.base, await login(d!.base, 'alice', alicePw), 'GET', '/api/admin/users');
    assert.deepEqual(
      users.json.users.map((u: { username: string }) => u.username),
      ['alice'],
    );
  });

  test('reset-password alice --password-stdin ends her existing token; the new password logs in', async () => {
    const token = await login(d!.base, 'alice', alicePw);
    assert.equal((await api(d!.base, token, 'GET', '/api/auth/me')).status, 200);

    const r = await hcd(env, ['reset-password', 'alice', '--password-stdin'], `${aliceNewPw}\n`);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /password of "alice" reset/);

    const me = await api(d!.base, token, 'GET', '/api/auth/me');
    assert.equal(me.status, 401, 'the old token no longer works');
    assert.equal(me.json.error.code, 'unauthenticated');
    const old = await api(d!.base, null, 'POST', '/api/auth/login', { username: 'alice', password: alicePw });
    assert.equal(old.status, 401, 'the old password no longer works');
    const fresh = await login(d!.base, 'alice', aliceNewPw);
    assert.equal((await api(d!.base, fresh, 'GET', '/api/auth/me')).status, 200);
  });

  test('doctor: exit 0 on a healthy setup', async () => {
    const r = await hcd(env, ['doctor']);
    assert.equal(r.code, 0, show(r));
    assert.doesNotMatch(r.stdout, /FAIL/);
    assert.match(r.stdout, /database integrity: ok/);
    assert.match(r.stdout, /1 active administrator/);
  });

  test('doctor: non-zero with HCD_REQUIRE_MOUNT=1 on a data dir that is not a mount point, printing FAIL', async () => {
    const r = await hcd({ ...env, HCD_REQUIRE_MOUNT: '1' }, ['doctor']);
    assert.notEqual(r.code, 0, show(r));
    assert.match(r.stdout, /^FAIL\s+storage NOT mounted/m);
  });

  test('backup <file>: a SQLite file that opens and holds the users, taken while the daemon runs', async () => {
    const dest = path.join(dir, 'backups', 'copy.db');
    const r = await hcd(env, ['backup', dest]);
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout.trim(), dest);
    const db = new Database(dest, { readonly: true, fileMustExist: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      const users = db.prepare('SELECT username, role FROM users ORDER BY username').all() as { username: string; role: string }[];
      assert.deepEqual(users, [{ username: 'alice', role: 'admin' }]);
    } finally {
      db.close();
    }
    // The daemon is unaffected.
    assert.equal((await api(d!.base, null, 'GET', '/api/health')).status, 200);
  });
});

describe('first start without any user', { timeout: 60_000 }, () => {
  let dir = '';
  const daemons: Daemon[] = [];
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-first-'));
  });
  after(async () => {
    for (const d of daemons) await dispose(d, { keepDir: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the first start prints a generated admin password that logs in; the second start prints none', async () => {
    const first = await startDaemon({ dir });
    daemons.push(first);
    const password = first.adminPassword;
    assert.ok(password, `a password was printed:\n${first.output()}`);
    assert.ok(password.length >= 16, 'a long random password');
    const token = await login(first.base, 'admin', password);
    const me = await api(first.base, token, 'GET', '/api/auth/me');
    assert.equal((me.json.user ?? me.json).role, 'admin');
    assert.equal(await first.stop(), 0);
    assert.ok(!fs.readFileSync(path.join(dir, 'hcd.db')).includes(password), 'not stored in clear');

    const second = await startDaemon({ dir });
    daemons.push(second);
    assert.equal(second.adminPassword, undefined);
    assert.doesNotMatch(second.output(), /First start|password/i);
    await login(second.base, 'admin', password);
  });

  test('every fresh installation gets its own password', async () => {
    const other = await startDaemon();
    daemons.push(other);
    assert.ok(other.adminPassword);
    assert.notEqual(other.adminPassword, daemons[0]!.adminPassword);
    await login(other.base, 'admin', other.adminPassword);
    await other.stop();
    fs.rmSync(other.dir, { recursive: true, force: true });
  });
});
