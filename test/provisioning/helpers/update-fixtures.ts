// Shared by the update tests: a throwaway Ed25519 key, real signed bundles (GNU tar + xz), an installed
// /opt/homedrive layout in a temporary directory, and an HTTP server playing the daemon's /api/health.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { writeBundle } from '../../../provisioning/update/bundle-file.js';
import { updateEnv, type UpdateHelperEnv } from '../../../provisioning/helper/update-verbs.js';

export function keyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function write(file: string, content = 'x'): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

/** An app and node as the image installs them under `root` (…/opt/homedrive when root is a payload tree). */
export function appTree(home: string, version: string, opts: { broken?: boolean; versionFile?: boolean } = {}): void {
  write(path.join(home, 'node/bin/node'), `#!/bin/sh\n# node for ${version}\n`);
  write(path.join(home, 'app/package.json'), JSON.stringify({ name: 'home-container-drive', version: version.split('+')[0] }));
  write(path.join(home, 'app/dist/daemon/src/main.js'), `// ${version}\n`);
  if (opts.versionFile !== false) write(path.join(home, 'app/VERSION'), `${version}\n`);
  // Read by the stand-in daemon below: this version never answers its health check.
  if (opts.broken) write(path.join(home, 'app/BROKEN'), 'yes');
}

let counter = 0;
/** A signed bundle of a tree `fill` makes (default: app and node of `version`); tar's extra arguments first. */
export async function makeBundle(
  dir: string,
  key: { privateKeyPem: string },
  version: string,
  opts: { fill?: (root: string) => void; tarArgs?: string[]; broken?: boolean; versionFile?: boolean } = {},
): Promise<string> {
  const root = path.join(dir, `tree-${++counter}`);
  fs.mkdirSync(root, { recursive: true });
  (opts.fill ?? ((r: string) => appTree(path.join(r, 'opt/homedrive'), version, opts)))(root);
  const tar = path.join(dir, `payload-${counter}.tar`);
  execFileSync('tar', [...(opts.tarArgs ?? []), '-C', root, '--owner=0', '--group=0', '--numeric-owner', '--sort=name', '-cf', tar, 'opt'], { stdio: 'pipe' });
  execFileSync('xz', ['-0', '--force', tar]);
  const outFile = path.join(dir, `bundle-${counter}.hcdb`);
  await writeBundle({ payloadFile: `${tar}.xz`, outFile, version, privateKeyPem: key.privateKeyPem });
  return outFile;
}

/** A copy of `file` with one byte flipped `fromEnd` bytes before its end (inside the payload). */
export function tampered(file: string, fromEnd = 10): string {
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - fromEnd] = bytes[bytes.length - fromEnd]! ^ 0x01;
  const out = `${file}.tampered.hcdb`;
  fs.writeFileSync(out, bytes);
  return out;
}

/** Plays the daemon: /api/health answers 200 with the VERSION installed under appDir/app, 503 when it has BROKEN. */
export function daemonStandIn(appDir: string): Promise<{ port: number; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    const app = path.join(appDir, 'app');
    if (req.url !== '/api/health' || fs.existsSync(path.join(app, 'BROKEN'))) {
      res.writeHead(503).end();
      return;
    }
    const version = fs.readFileSync(path.join(app, 'VERSION'), 'utf8').trim();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', version }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        hits: () => hits,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

/** A shell script standing in for a program: records its arguments, one line per call. */
export function recorder(dir: string, name: string, calls: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> ${calls}\n`);
  fs.chmodSync(file, 0o755);
  return file;
}

export function recorded(calls: string): string[] {
  const text = fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8') : '';
  fs.rmSync(calls, { force: true });
  return text.split('\n').filter(Boolean);
}

/**
 * The helper's update verbs set up in `dir` as the daemon's tests need them: a signing key pair (its public
 * half where the helper reads it), an installed app of version 0.1.0+aaaaaaa, the uploads and state
 * directories, and systemd-run a recorder writing to `calls`.
 */
export function updateHelperWorld(dir: string) {
  const key = keyPair();
  const uploads = path.join(dir, 'updates');
  const stateDir = path.join(dir, 'helper-state');
  const appDir = path.join(dir, 'opt/homedrive');
  const calls = path.join(dir, 'calls');
  fs.writeFileSync(path.join(dir, 'update-key.pem'), key.publicKeyPem);
  appTree(appDir, '0.1.0+aaaaaaa');
  const env: UpdateHelperEnv = {
    systemdRun: recorder(dir, 'systemd-run', calls),
    nodeBin: '/opt/homedrive/node/bin/node',
    timeoutMs: 5000,
    now: () => new Date(),
    ...updateEnv({}),
    updateUploadDir: uploads,
    updateStateDir: stateDir,
    updateKeyFile: path.join(dir, 'update-key.pem'),
    updateAppDir: appDir,
  };
  return { key, uploads, stateDir, appDir, calls, env };
}
