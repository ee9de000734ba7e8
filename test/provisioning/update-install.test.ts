// install.ts over a temporary /opt/homedrive: real signed bundles (a throwaway key, GNU tar, xz), a stand-in
// systemctl that records the restarts, and an HTTP server playing the daemon's /api/health, which answers with the
// VERSION of whatever app/ is in place at the time (and never answers for a version marked BROKEN).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  bundleCopy,
  installBundle,
  readAppVersion,
  readLast,
  readPending,
  rollback,
  updatePaths,
  writePending,
  type UpdatePaths,
} from '../../provisioning/update/install.js';
import { appTree, daemonStandIn, keyPair, makeBundle, recorded, recorder, tampered, write } from './helpers/update-fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-update-install-'));
const key = keyPair();
const appDir = path.join(dir, 'opt/homedrive');
const stateDir = path.join(dir, 'state');
const calls = path.join(dir, 'calls');
let daemon: Awaited<ReturnType<typeof daemonStandIn>>;
let p: UpdatePaths;
const logs: string[] = [];

before(async () => {
  appTree(appDir, '0.1.0+aaaaaaa');
  daemon = await daemonStandIn(appDir);
  const envFile = path.join(dir, 'homedrive.env');
  fs.writeFileSync(envFile, `HCD_PORT=${daemon.port}\nHCD_DATA_DIR=/srv/homedrive\n`);
  fs.writeFileSync(path.join(dir, 'update-key.pem'), key.publicKeyPem);
  p = updatePaths({
    appDir,
    stateDir,
    keyFile: path.join(dir, 'update-key.pem'),
    envFile,
    systemctl: recorder(dir, 'systemctl', calls),
    tar: 'tar',
    healthTimeoutMs: 1500,
    pollMs: 50,
    log: (line) => logs.push(line),
  });
});
after(async () => {
  await daemon.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Places a bundle as update_check leaves it: the root-only copy named by its id. */
function placed(file: string, id: string): void {
  fs.mkdirSync(stateDir, { recursive: true });
  fs.copyFileSync(file, bundleCopy(stateDir, id));
}

const version = (sub: string) => readAppVersion(path.join(appDir, sub));

test('a good version: unpacked beside, swapped in, restarted, healthy; the running one kept as previous', async () => {
  const id = '1111111111111111';
  placed(await makeBundle(dir, key, '0.2.0+bbbbbbb'), id);
  await writePending(stateDir, { id, action: 'install', version: '0.2.0+bbbbbbb', requestedAt: new Date().toISOString(), state: 'starting' });
  const o = await installBundle(id, p);
  assert.equal(o.outcome, 'installed', JSON.stringify(o));
  assert.equal(o.version, '0.2.0+bbbbbbb');
  assert.equal(await version('app'), '0.2.0+bbbbbbb');
  assert.match(fs.readFileSync(path.join(appDir, 'node/bin/node'), 'utf8'), /node for 0\.2\.0/);
  assert.equal(await version('previous/app'), '0.1.0+aaaaaaa');
  assert.match(fs.readFileSync(path.join(appDir, 'previous/node/bin/node'), 'utf8'), /node for 0\.1\.0/);
  assert.deepEqual(recorded(calls), ['systemctl restart homedrive.service']);
  assert.deepEqual(await readLast(stateDir), o);
  assert.equal(await readPending(stateDir), null, 'nothing pending once over');
  assert.equal(fs.existsSync(bundleCopy(stateDir, id)), false, 'the installed copy is removed');
  assert.deepEqual(fs.readdirSync(appDir).sort(), ['app', 'node', 'previous'], 'no staging directory left behind');
});

test('a version that never reports: rolled back, the previous version in place again, the failed one removed', async () => {
  const id = '2222222222222222';
  placed(await makeBundle(dir, key, '0.3.0+ccccccc', { broken: true }), id);
  const o = await installBundle(id, p);
  assert.equal(o.outcome, 'rolled_back', JSON.stringify(o));
  assert.equal(o.version, '0.3.0+ccccccc');
  assert.equal(o.running, '0.2.0+bbbbbbb');
  assert.match(o.error ?? '', /version 0\.3\.0\+ccccccc did not serve within 2 s \(last: HTTP 503, version none\); 0\.2\.0\+bbbbbbb is back$/);
  assert.equal(await version('app'), '0.2.0+bbbbbbb');
  assert.match(fs.readFileSync(path.join(appDir, 'node/bin/node'), 'utf8'), /node for 0\.2\.0/);
  // previous/ is what it was before: the failed install never became anyone's previous.
  assert.equal(await version('previous/app'), '0.1.0+aaaaaaa');
  assert.match(fs.readFileSync(path.join(appDir, 'previous/node/bin/node'), 'utf8'), /node for 0\.1\.0/);
  assert.deepEqual(recorded(calls), ['systemctl restart homedrive.service', 'systemctl restart homedrive.service']);
  assert.deepEqual(fs.readdirSync(appDir).sort(), ['app', 'node', 'previous'], 'neither the failed version nor a staging directory kept');
  assert.equal((await readLast(stateDir))?.outcome, 'rolled_back');
});

test('manual rollback: previous and running trade places and the previous version is health-checked', async () => {
  const id = '3333333333333333';
  placed(await makeBundle(dir, key, '0.4.0+ddddddd', { versionFile: false }), id);
  const installed = await installBundle(id, p);
  assert.equal(installed.outcome, 'installed', JSON.stringify(installed));
  // A bundle without VERSION gets the manifest's, so the daemon reports what was signed.
  assert.equal(await version('app'), '0.4.0+ddddddd');
  recorded(calls);
  const o = await rollback(p);
  assert.equal(o.outcome, 'installed', JSON.stringify(o));
  assert.equal(o.action, 'rollback');
  assert.equal(await version('app'), '0.2.0+bbbbbbb');
  assert.equal(await version('previous/app'), '0.4.0+ddddddd', 'the version left is the one to go forward to again');
  assert.deepEqual(recorded(calls), ['systemctl restart homedrive.service']);

  // A previous version that does not serve: they trade back.
  write(path.join(appDir, 'previous/app/BROKEN'));
  const bad = await rollback(p);
  assert.equal(bad.outcome, 'failed');
  assert.match(bad.error ?? '', /version 0\.4\.0\+ddddddd did not serve.*0\.2\.0\+bbbbbbb is back/);
  assert.equal(await version('app'), '0.2.0+bbbbbbb');
  assert.equal(await version('previous/app'), '0.4.0+ddddddd');
  assert.equal(recorded(calls).length, 2);
  fs.rmSync(path.join(appDir, 'previous'), { recursive: true });
  const none = await rollback(p);
  assert.equal(none.outcome, 'failed');
  assert.match(none.error ?? '', /no previous version/);
  assert.deepEqual(recorded(calls), [], 'nothing restarted');
});

test('tampered, foreign-key and traversal bundles are refused before anything is unpacked or restarted', async () => {
  const good = await makeBundle(dir, key, '0.5.0+eeeeeee');
  const cases: [string, RegExp][] = [
    [tampered(good), /^tampered: /],
    [await makeBundle(dir, keyPair(), '0.5.0+eeeeeee'), /^bad_signature: /],
    [
      await makeBundle(dir, key, '0.5.0+eeeeeee', {
        fill: (root) => {
          appTree(path.join(root, 'opt/homedrive'), '0.5.0+eeeeeee');
          write(path.join(root, 'opt/homedrive/app/evil'), 'root:x:0:0::/root:/bin/sh\n');
        },
        tarArgs: ['-P', '--transform', 's,^opt/homedrive/app/evil,opt/homedrive/../../etc/passwd,'],
      }),
      /^unsafe_path: .*"\.\." segment/,
    ],
  ];
  let n = 0;
  for (const [file, message] of cases) {
    const id = `44444444444444${String(++n).padStart(2, '0')}`;
    placed(file, id);
    const o = await installBundle(id, p);
    assert.equal(o.outcome, 'failed', JSON.stringify(o));
    assert.match(o.error ?? '', message);
    assert.equal(o.running, '0.2.0+bbbbbbb');
    assert.deepEqual(fs.readdirSync(appDir).sort(), ['app', 'node'], 'nothing unpacked, nothing swapped');
    assert.equal(fs.existsSync(path.join(dir, 'etc')), false);
    assert.equal(fs.existsSync(bundleCopy(stateDir, id)), false, 'the refused copy is removed');
  }
  assert.deepEqual(recorded(calls), [], 'the daemon was never restarted');
  assert.equal(await version('app'), '0.2.0+bbbbbbb');
});
