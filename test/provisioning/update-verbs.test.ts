// The helper's update verbs: strict validation (only an upload in the daemon's updates directory, only a bundle
// id), the upload copied into the root-only state directory before it is verified there, the transient unit
// started with systemd-run (a stand-in that records its arguments), and the status the console shows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  answerUpdate,
  answerUpdateVerb,
  updateEnv,
  type UpdateCheck,
  type UpdateHelperEnv,
  type UpdateStatus,
} from '../../provisioning/helper/update-verbs.js';
import { bundleCopy, writePending } from '../../provisioning/update/install.js';
import { appTree, keyPair, makeBundle, recorded, recorder, tampered } from './helpers/update-fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-update-verbs-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const key = keyPair();
const uploads = path.join(dir, 'var/lib/homedrive/updates');
const stateDir = path.join(dir, 'var/lib/homedrive-update');
const appDir = path.join(dir, 'opt/homedrive');
const calls = path.join(dir, 'calls');
let env: UpdateHelperEnv;
let clock = Date.parse('2026-12-04T08:00:00Z');

before(() => {
  fs.mkdirSync(uploads, { recursive: true });
  appTree(appDir, '0.1.0+aaaaaaa', { versionFile: false });
  fs.writeFileSync(path.join(dir, 'update-key.pem'), key.publicKeyPem);
  env = {
    systemdRun: recorder(dir, 'systemd-run', calls),
    nodeBin: '/opt/homedrive/node/bin/node',
    timeoutMs: 5000,
    now: () => new Date(clock),
    ...updateEnv({}),
    updateUploadDir: uploads,
    updateStateDir: stateDir,
    updateKeyFile: path.join(dir, 'update-key.pem'),
    updateAppDir: appDir,
  };
});

async function ask<T>(verb: string, args?: unknown) {
  return (await answerUpdate(JSON.stringify(args === undefined ? { verb } : { verb, args }), env)) as
    { ok: true; result: T } | { ok: false; error: { code: string; message: string } };
}

function upload(file: string, id: string): string {
  const to = path.join(uploads, `${id}.hcdb`);
  fs.copyFileSync(file, to);
  return to;
}

test('production defaults come from the contract', () => {
  assert.deepEqual(updateEnv({}), {
    updateUploadDir: '/var/lib/homedrive/updates',
    updateStateDir: '/var/lib/homedrive-update',
    updateKeyFile: '/etc/homedrive/update-key.pem',
    updateAppDir: '/opt/homedrive',
    updateEntry: '/opt/homedrive/app/dist/provisioning/update/install.js',
  });
});

test('refused before anything is read: paths outside the updates directory, bad names and ids, unknown keys', async () => {
  const secret = path.join(dir, 'secret.hcdb');
  fs.writeFileSync(secret, 'root only');
  const bad: [string, unknown][] = [
    ['update_check', { file: '/etc/shadow' }],
    ['update_check', { file: path.join(dir, '0123456789abcdef.hcdb') }],
    ['update_check', { file: `${uploads}/../0123456789abcdef.hcdb` }],
    ['update_check', { file: `${uploads}/0123456789ABCDEF.hcdb` }],
    ['update_check', { file: `${uploads}/0123456789abcdef.tar.xz` }],
    ['update_check', { file: 'updates/0123456789abcdef.hcdb' }],
    ['update_check', { file: `${uploads}/0123456789abcdef.hcdb`, also: 1 }],
    ['update_check', {}],
    ['update_install', { id: '../../etc/passwd' }],
    ['update_install', { id: '0123456789abcde' }],
    ['update_install', { id: '0123456789abcdef', version: 'x' }],
    ['update_rollback', { now: true }],
    ['update_status', { all: true }],
    ['update_everything', {}],
  ];
  for (const [verb, args] of bad) {
    const r = await ask(verb, args);
    assert.equal(!r.ok && r.error.code, 'bad_request', `${verb} ${JSON.stringify(args)}: ${JSON.stringify(r)}`);
  }
  // A path that passes the pattern but lies elsewhere is refused by the handler too.
  const r = await answerUpdateVerb('update_check', { file: path.join(dir, 'abcdefabcdefabcd.hcdb') }, env);
  assert.equal(!r.ok && r.error.code, 'bad_request');
  assert.match(!r.ok ? r.error.message : '', /Only an upload in .*updates\/ named <16 hex digits>\.hcdb is checked/);
  assert.equal(fs.existsSync(stateDir), false, 'nothing copied');
  assert.deepEqual(recorded(calls), []);
});

test('update_status before any update: the running version from package.json, no previous, nothing pending', async () => {
  const r = await ask<UpdateStatus>('update_status');
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.result, { running: { version: '0.1.0' }, previous: null, pending: null, last: null });
});

test('update_check copies the upload into the root-only state directory, then verifies that copy', async () => {
  const file = upload(await makeBundle(dir, key, '0.2.0+bbbbbbb'), 'aaaaaaaaaaaaaaaa');
  const r = await ask<UpdateCheck>('update_check', { file });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.result.id, 'aaaaaaaaaaaaaaaa');
  assert.equal(r.result.manifest.version, '0.2.0+bbbbbbb');
  assert.deepEqual(r.result.running, { version: '0.1.0' });
  assert.equal(r.result.previous, null);
  const copy = bundleCopy(stateDir, 'aaaaaaaaaaaaaaaa');
  assert.equal(r.result.bytes, fs.statSync(file).size);
  assert.ok(fs.readFileSync(copy).equals(fs.readFileSync(file)));
  assert.equal(fs.statSync(copy).mode & 0o777, 0o600);
  // Changing the upload afterwards changes nothing: the copy is what gets installed.
  fs.writeFileSync(file, 'swapped after the check');
  assert.ok(fs.readFileSync(copy).length > 100);

  // A tampered upload: refused with the bundle's code, and no copy left.
  const bad = upload(tampered(await makeBundle(dir, key, '0.3.0')), 'bbbbbbbbbbbbbbbb');
  const t = await ask('update_check', { file: bad });
  assert.equal(!t.ok && t.error.code, 'invalid_bundle');
  assert.match(!t.ok ? t.error.message : '', /^tampered: /);
  assert.doesNotMatch(!t.ok ? t.error.message : '', new RegExp(stateDir), 'the root-only path is not shown');
  assert.equal(fs.existsSync(bundleCopy(stateDir, 'bbbbbbbbbbbbbbbb')), false);
  // Signed by another key.
  const foreign = upload(await makeBundle(dir, keyPair(), '0.3.0'), 'cccccccccccccccc');
  const f = await ask('update_check', { file: foreign });
  assert.match(!f.ok ? `${f.error.code} ${f.error.message}` : '', /^invalid_bundle bad_signature: /);
  // A symlink in the upload directory is not followed.
  const link = path.join(uploads, 'dddddddddddddddd.hcdb');
  fs.symlinkSync(copy, link);
  const l = await ask('update_check', { file: link });
  assert.equal(!l.ok && l.error.code, 'no_upload');
  assert.deepEqual(recorded(calls), [], 'checking starts nothing');
});

test('update_install starts the transient unit and records it pending; a second request is busy; update_status shows it', async () => {
  const file = upload(await makeBundle(dir, key, '0.2.0+bbbbbbb'), 'eeeeeeeeeeeeeeee');
  assert.ok((await ask('update_check', { file })).ok);
  const unknown = await ask('update_install', { id: '0000000000000000' });
  assert.equal(!unknown.ok && unknown.error.code, 'unknown_bundle');
  const r = await ask<{ pending: { id: string; version: string; action: string } }>('update_install', { id: 'eeeeeeeeeeeeeeee' });
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual([r.result.pending.id, r.result.pending.version, r.result.pending.action], ['eeeeeeeeeeeeeeee', '0.2.0+bbbbbbb', 'install']);
  const run = recorded(calls);
  assert.equal(run.length, 1);
  assert.match(
    run[0]!,
    /^systemd-run --quiet --collect --no-block --unit=homedrive-update-eeeeeeeeeeeeeeee --description=.* \/opt\/homedrive\/node\/bin\/node \/opt\/homedrive\/app\/dist\/provisioning\/update\/install\.js install eeeeeeeeeeeeeeee$/,
  );
  const again = await ask('update_install', { id: 'eeeeeeeeeeeeeeee' });
  assert.equal(!again.ok && again.error.code, 'busy');
  assert.equal(!(await ask('update_rollback')).ok, true);
  const s = await ask<UpdateStatus>('update_status');
  assert.ok(s.ok);
  assert.equal(s.result.pending?.id, 'eeeeeeeeeeeeeeee');
  // A pending update left by a run that died long ago no longer blocks.
  clock += 16 * 60_000;
  const later = await ask<UpdateStatus>('update_status');
  assert.ok(later.ok && later.result.pending === null);
  assert.deepEqual(recorded(calls), []);
});

test('update_rollback: refused without a previous version; started as a unit when there is one', async () => {
  const none = await ask('update_rollback');
  assert.equal(!none.ok && none.error.code, 'no_previous');
  appTree(path.join(appDir, 'previous'), '0.0.9+9999999');
  const s = await ask<UpdateStatus>('update_status');
  assert.ok(s.ok && s.result.previous?.version === '0.0.9+9999999');
  const r = await ask<{ pending: { action: string; version: string } }>('update_rollback', {});
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.result.pending.action, 'rollback');
  assert.equal(r.result.pending.version, '0.0.9+9999999');
  const run = recorded(calls);
  assert.match(run[0] ?? '', /--unit=homedrive-update-[0-9a-f]{16} .*\/update\/install\.js rollback$/);
  // systemd-run failing: nothing stays pending.
  await writePending(stateDir, { id: 'x', action: 'rollback', version: null, requestedAt: '2000-01-01T00:00:00Z', state: 'starting' });
  const failing = { ...env, systemdRun: '/bin/false' };
  const f = await answerUpdateVerb('update_rollback', {}, failing);
  assert.equal(!f.ok && f.error.code, 'failed');
  assert.equal(fs.existsSync(path.join(stateDir, 'pending.json')), false);
});

test('two installs sent at once (one helper process each): one unit starts, the other is told busy', async () => {
  clock += 60 * 60_000;
  const file = upload(await makeBundle(dir, key, '0.3.0+ccccccc'), 'ffffffffffffffff');
  assert.ok((await ask('update_check', { file })).ok);
  recorded(calls);
  const answers = await Promise.all([
    ask('update_install', { id: 'ffffffffffffffff' }),
    ask('update_install', { id: 'ffffffffffffffff' }),
    ask('update_rollback'),
  ]);
  assert.equal(answers.filter((a) => a.ok).length, 1, JSON.stringify(answers));
  for (const a of answers) if (!a.ok) assert.equal(a.error.code, 'busy');
  assert.equal(recorded(calls).length, 1, 'one transient unit started');
});
