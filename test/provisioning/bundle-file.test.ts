// Signed update bundles (.hcdb): written and verified with a throwaway Ed25519 key pair, around payloads made by
// the system's own tar and xz, including the hostile ones (escaping names, links, devices) a Pi must refuse.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  BundleError,
  checkPayloadEntries,
  keyFingerprint,
  MAGIC,
  publicKeyPemFromPrivate,
  verifyBundle,
  writeBundle,
  type BundleErrorCode,
} from '../../provisioning/update/bundle-file.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-bundle-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function keyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
const key = keyPair();
const otherKey = keyPair();

let counter = 0;
/** A tree built by `fill` in a fresh directory, archived with GNU tar (extra arguments first) and compressed with xz. */
function payload(fill: (root: string) => void, tarArgs: string[] = [], members = ['opt']): string {
  const root = path.join(dir, `tree-${++counter}`);
  fs.mkdirSync(root);
  fill(root);
  const tar = path.join(dir, `payload-${counter}.tar`);
  execFileSync('tar', [...tarArgs, '-C', root, '--owner=0', '--group=0', '--numeric-owner', '--sort=name', '-cf', tar, ...members], { stdio: 'pipe' });
  execFileSync('xz', ['-6', '--force', tar]);
  return `${tar}.xz`;
}

function write(file: string, content = 'x'): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

const LONG_NAME = `opt/homedrive/app/node_modules/${'a-rather-long-package-name/'.repeat(5)}index.js`;

/** Something shaped like the real bundle: node and app under opt/homedrive, relative symlinks, a > 100-char name. */
function goodTree(root: string): void {
  write(path.join(root, 'opt/homedrive/node/bin/node'), '#!/bin/sh\n');
  write(path.join(root, 'opt/homedrive/node/lib/node_modules/npm/bin/npm-cli.js'), 'console.log(1)\n');
  fs.symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(root, 'opt/homedrive/node/bin/npm'));
  write(path.join(root, 'opt/homedrive/app/dist/daemon/src/main.js'), 'export {};\n');
  write(path.join(root, LONG_NAME), 'module.exports = 1;\n');
  // A link through another link, both inside: followed, not refused.
  fs.symlinkSync('app', path.join(root, 'opt/homedrive/current'));
  fs.symlinkSync('../../current/dist/daemon/src/main.js', path.join(root, 'opt/homedrive/node/bin/hcd'));
}

let bundleCount = 0;
async function bundle(payloadFile: string, signer = key, version = '0.1.0+abc1234'): Promise<string> {
  const outFile = path.join(dir, `bundle-${++bundleCount}.hcdb`);
  await writeBundle({ payloadFile, outFile, version, privateKeyPem: signer.privateKeyPem, nodeVersion: '24.22.0' });
  return outFile;
}

/** Rejects with a BundleError of that code whose message matches. */
async function refused(promise: Promise<unknown>, code: BundleErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof BundleError, `expected a BundleError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

/** A copy of a bundle with one byte changed at `at` (negative: from the end). */
function flipped(file: string, at: number): string {
  const bytes = fs.readFileSync(file);
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = bytes[i]! ^ 0x01;
  const out = path.join(dir, `flipped-${++bundleCount}.hcdb`);
  fs.writeFileSync(out, bytes);
  return out;
}

const goodPayload = payload(goodTree);

test('a good bundle verifies, returns its manifest, and its payload entries pass', async () => {
  const file = await bundle(goodPayload);
  const { manifest, payloadOffset } = await verifyBundle(file, key.publicKeyPem);
  assert.equal(manifest.format, 1);
  assert.equal(manifest.version, '0.1.0+abc1234');
  assert.equal(manifest.nodeVersion, '24.22.0');
  assert.equal(manifest.payloadBytes, fs.statSync(goodPayload).size);
  assert.equal(manifest.payloadSha256, execFileSync('sha256sum', [goodPayload], { encoding: 'utf8' }).split(' ')[0]);
  assert.ok(Math.abs(Date.parse(manifest.created) - Date.now()) < 60_000);
  // The payload is the tar.xz, byte for byte, from payloadOffset on.
  assert.deepEqual(fs.readFileSync(file).subarray(payloadOffset), fs.readFileSync(goodPayload));
  assert.deepEqual(fs.readFileSync(file).subarray(0, 8), MAGIC);
  const listed = execFileSync('tar', ['-tJf', goodPayload], { encoding: 'utf8' }).trim().split('\n');
  const checked = await checkPayloadEntries(file, payloadOffset);
  assert.equal(checked.entries, listed.length);
  assert.ok(listed.includes(LONG_NAME));
  assert.ok(execFileSync('xz', ['-dc', goodPayload]).includes('././@LongLink'), 'the long name is stored as a GNU long name');
  assert.equal(checked.bytes, '#!/bin/sh\n'.length + 'console.log(1)\n'.length + 'export {};\n'.length + 'module.exports = 1;\n'.length);
});

test('a payload of many stream chunks round-trips (writeBundle and the checks stream it)', async () => {
  // Incompressible data, several MB: far more than one 64 KiB read, so every path goes through many chunks.
  const blobTree = payload((root) => {
    fs.mkdirSync(path.join(root, 'opt/homedrive/app'), { recursive: true });
    const fd = fs.openSync(path.join(root, 'opt/homedrive/app/blob.bin'), 'w');
    for (let i = 0; i < 48; i++) fs.writeSync(fd, randomBytes(65536));
    fs.closeSync(fd);
  });
  const file = await bundle(blobTree);
  const { manifest, payloadOffset } = await verifyBundle(file, key.publicKeyPem);
  assert.ok(manifest.payloadBytes > 3_000_000);
  assert.deepEqual(await checkPayloadEntries(file, payloadOffset), { entries: 4, bytes: 48 * 65536 });
});

test('signed by another key, or a manifest byte changed: bad_signature', async () => {
  await refused(verifyBundle(await bundle(goodPayload, otherKey), key.publicKeyPem), 'bad_signature', /signature does not verify/);
  const file = await bundle(goodPayload);
  // Byte 20 is inside the manifest JSON (it starts at 12).
  await refused(verifyBundle(flipped(file, 20), key.publicKeyPem), 'bad_signature');
  // The signature itself (just before the payload).
  const { payloadOffset } = await verifyBundle(file, key.publicKeyPem);
  await refused(verifyBundle(flipped(file, payloadOffset - 1), key.publicKeyPem), 'bad_signature');
});

test('an unsigned tar.xz, an empty file or a cut header: not_a_bundle', async () => {
  await refused(verifyBundle(goodPayload, key.publicKeyPem), 'not_a_bundle', /not a signed bundle/);
  const empty = path.join(dir, 'empty.hcdb');
  fs.writeFileSync(empty, '');
  await refused(verifyBundle(empty, key.publicKeyPem), 'not_a_bundle');
  const file = await bundle(goodPayload);
  const cut = path.join(dir, 'cut-header.hcdb');
  fs.writeFileSync(cut, fs.readFileSync(file).subarray(0, 40));
  await refused(verifyBundle(cut, key.publicKeyPem), 'not_a_bundle', /cut short/);
});

test('one payload byte changed, or the payload cut short or grown: tampered', async () => {
  const file = await bundle(goodPayload);
  await refused(verifyBundle(flipped(file, -100), key.publicKeyPem), 'tampered', /SHA-256/);
  const bytes = fs.readFileSync(file);
  const truncated = path.join(dir, 'truncated.hcdb');
  fs.writeFileSync(truncated, bytes.subarray(0, bytes.length - 10));
  await refused(verifyBundle(truncated, key.publicKeyPem), 'tampered', /bytes, the manifest says/);
  const grown = path.join(dir, 'grown.hcdb');
  fs.writeFileSync(grown, Buffer.concat([bytes, Buffer.from('more')]));
  await refused(verifyBundle(grown, key.publicKeyPem), 'tampered');
});

test('a correctly signed manifest that is not a format-1 manifest: bad_manifest', async () => {
  const forge = (json: string): string => {
    const manifest = Buffer.from(json);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(manifest.length);
    const out = path.join(dir, `forged-${++bundleCount}.hcdb`);
    fs.writeFileSync(out, Buffer.concat([MAGIC, length, manifest, sign(null, manifest, key.privateKeyPem)]));
    return out;
  };
  await refused(verifyBundle(forge('{"format":1'), key.publicKeyPem), 'bad_manifest', /not UTF-8 JSON/);
  const base = { format: 1, version: '1.0', created: new Date().toISOString(), payloadSha256: 'a'.repeat(64), payloadBytes: 0 };
  await refused(verifyBundle(forge(JSON.stringify({ ...base, format: 2 })), key.publicKeyPem), 'bad_manifest', /format/);
  await refused(verifyBundle(forge(JSON.stringify({ ...base, version: '1.0; rm -rf /' })), key.publicKeyPem), 'bad_manifest', /version/);
  await refused(verifyBundle(forge(JSON.stringify({ ...base, extra: true })), key.publicKeyPem), 'bad_manifest', /extra/);
  // A length field beyond 64 KiB is refused before anything is read.
  const huge = path.join(dir, 'huge.hcdb');
  fs.writeFileSync(huge, Buffer.concat([MAGIC, Buffer.from([0, 1, 0, 1]), Buffer.alloc(100)]));
  await refused(verifyBundle(huge, key.publicKeyPem), 'bad_manifest', /outside 1\.\.65536/);
});

test('writeBundle refuses a version outside [0-9A-Za-z.+~-] and a key that is not Ed25519', async () => {
  await assert.rejects(bundle(goodPayload, key, '1.0 beta'), /only letters, digits/);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await assert.rejects(bundle(goodPayload, { privateKeyPem: rsa, publicKeyPem: '' }), /rsa key, not Ed25519/);
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.includes('.tmp-')),
    [],
    'no temporary file left behind',
  );
});

test('publicKeyPemFromPrivate gives the public half that verifies the bundles the private half signs', async () => {
  const pub = publicKeyPemFromPrivate(key.privateKeyPem);
  assert.match(pub, /^-----BEGIN PUBLIC KEY-----\n/);
  assert.equal(keyFingerprint(pub), keyFingerprint(key.publicKeyPem));
  assert.notEqual(keyFingerprint(pub), keyFingerprint(otherKey.publicKeyPem));
  await verifyBundle(await bundle(goodPayload), pub);
});

/** Signs the payload, checks the signature passes, then expects the entry check to refuse it. */
async function unsafe(payloadFile: string, message: RegExp, code: BundleErrorCode = 'unsafe_path'): Promise<void> {
  const file = await bundle(payloadFile);
  const { payloadOffset } = await verifyBundle(file, key.publicKeyPem);
  await refused(checkPayloadEntries(file, payloadOffset), code, message);
}

test('names outside opt/homedrive/: ../etc/passwd, /etc/passwd, etc/x, opt/other', async () => {
  const ok = (root: string) => write(path.join(root, 'opt/homedrive/ok'));
  await unsafe(payload(ok, ['-P', '--transform', 's,^opt/homedrive/ok,../etc/passwd,']), /"\.\.\/etc\/passwd" is absolute, empty or has a "\.\." segment/);
  await unsafe(payload(ok, ['-P', '--transform', 's,^opt/homedrive/ok,/etc/passwd,']), /"\/etc\/passwd" is absolute/);
  await unsafe(payload(ok, ['-P', '--transform', 's,^opt/homedrive/ok,opt/homedrive/../../etc/passwd,']), /has a "\.\." segment/);
  await unsafe(
    payload((root) => write(path.join(root, 'etc/x')), [], ['etc']),
    /"etc\/" is not under opt\/homedrive\//,
  );
  await unsafe(
    payload((root) => write(path.join(root, 'opt/other/x'))),
    /"opt\/other\/" is not under opt\/homedrive\//,
  );
});

test('a pax header naming a path outside is refused, whatever the ustar name says', async () => {
  const ok = (root: string) => write(path.join(root, 'opt/homedrive/ok'));
  await unsafe(payload(ok, ['--format=pax', '--pax-option=path:=etc/evil'], ['opt/homedrive/ok']), /"etc\/evil" is not under/);
  // And a pax archive of a good tree passes (pax headers with mtime/atime records are read and skipped).
  const file = await bundle(payload(goodTree, ['--format=pax']));
  const { payloadOffset } = await verifyBundle(file, key.publicKeyPem);
  const checked = await checkPayloadEntries(file, payloadOffset);
  assert.ok(checked.entries >= 5);
});

test('symlinks to /etc, to ../../.., and one that escapes only through another symlink', async () => {
  await unsafe(
    payload((root) => {
      fs.mkdirSync(path.join(root, 'opt/homedrive'), { recursive: true });
      fs.symlinkSync('/etc', path.join(root, 'opt/homedrive/etc'));
    }),
    /symlink "opt\/homedrive\/etc" points to an absolute path/,
  );
  await unsafe(
    payload((root) => {
      fs.mkdirSync(path.join(root, 'opt/homedrive/app'), { recursive: true });
      fs.symlinkSync('../../..', path.join(root, 'opt/homedrive/app/up'));
    }),
    /symlink "opt\/homedrive\/app\/up" leaves opt\/homedrive\//,
  );
  // here -> "." is harmless alone, and ../here/../x is inside when read as text; followed, here is opt/homedrive,
  // so its ".." is /opt.
  await unsafe(
    payload((root) => {
      fs.mkdirSync(path.join(root, 'opt/homedrive/app'), { recursive: true });
      fs.symlinkSync('.', path.join(root, 'opt/homedrive/here'));
      fs.symlinkSync('../here/../x', path.join(root, 'opt/homedrive/app/sneaky'));
    }),
    /symlink "opt\/homedrive\/app\/sneaky" leaves opt\/homedrive\//,
  );
  // A symlink in place of opt/homedrive itself.
  await unsafe(
    payload((root) => {
      fs.mkdirSync(path.join(root, 'opt'));
      fs.symlinkSync('../srv', path.join(root, 'opt/homedrive'));
    }),
    /"opt\/homedrive" is not under opt\/homedrive\//,
  );
});

test('a hard link, a fifo and a setuid file are refused', async () => {
  await unsafe(
    payload((root) => {
      write(path.join(root, 'opt/homedrive/a'));
      fs.linkSync(path.join(root, 'opt/homedrive/a'), path.join(root, 'opt/homedrive/b'));
    }),
    /"opt\/homedrive\/b" is a hard link/,
  );
  await unsafe(
    payload((root) => {
      fs.mkdirSync(path.join(root, 'opt/homedrive'), { recursive: true });
      execFileSync('mkfifo', [path.join(root, 'opt/homedrive/pipe')]);
    }),
    /"opt\/homedrive\/pipe" is a fifo/,
  );
  await unsafe(
    payload((root) => {
      write(path.join(root, 'opt/homedrive/su'));
      fs.chmodSync(path.join(root, 'opt/homedrive/su'), 0o4755);
    }),
    /"opt\/homedrive\/su" is setuid or setgid/,
  );
});

test('a payload that is not xz, or xz of something that is not tar: bad_payload', async () => {
  const notXz = path.join(dir, 'not-xz.bin');
  fs.writeFileSync(notXz, 'plain text, not compressed\n');
  await unsafe(notXz, /does not decompress \(xz: .*format/, 'bad_payload');
  const text = path.join(dir, 'text.txt');
  fs.writeFileSync(text, 'hello\n'.repeat(200));
  execFileSync('xz', ['-6', '--force', text]);
  await unsafe(`${text}.xz`, /bad checksum/, 'bad_payload');
});

test('GNU long names and long link targets are checked whole, and a global pax path too', async () => {
  const ok = (root: string) => write(path.join(root, 'opt/homedrive/ok'));
  const long = `etc/${'b'.repeat(120)}`;
  await unsafe(payload(ok, ['-P', '--transform', `s,^opt/homedrive/ok,${long},`]), new RegExp(`"${long}" is not under opt/homedrive/`));
  await unsafe(
    payload((root) => {
      fs.mkdirSync(path.join(root, 'opt/homedrive'), { recursive: true });
      fs.symlinkSync(`../../../${'x'.repeat(120)}`, path.join(root, 'opt/homedrive/far'));
    }),
    /symlink "opt\/homedrive\/far" leaves opt\/homedrive\//,
  );
  // "keyword=value" puts the path in a global ('g') header, which GNU tar applies to the entries after it.
  await unsafe(payload(ok, ['--format=pax', '--pax-option=path=etc/evil'], ['opt/homedrive/ok']), /"etc\/evil" is not under/);
});

test('entries hidden after the end-of-archive blocks are refused', async () => {
  const first = path.join(dir, 'first.tar');
  const second = path.join(dir, 'second.tar');
  const root = path.join(dir, 'hidden-tree');
  write(path.join(root, 'opt/homedrive/ok'));
  write(path.join(root, 'etc/cron.d/evil'));
  execFileSync('tar', ['-C', root, '-cf', first, 'opt']);
  execFileSync('tar', ['-C', root, '-cf', second, 'etc']);
  const joined = path.join(dir, 'joined.tar');
  fs.writeFileSync(joined, Buffer.concat([fs.readFileSync(first), fs.readFileSync(second)]));
  execFileSync('xz', ['-6', '--force', joined]);
  await unsafe(`${joined}.xz`, /data after its end-of-archive block/, 'bad_payload');
});

/** One ustar header block, as a hostile writer could make it: any name, type and size, with a valid checksum. */
function header(name: string, type: string, size: number): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, 'latin1');
  block.write('0000644\0', 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.write('00000000000\0', 136, 'latin1');
  block.write(type, 156, 'latin1');
  block.write('ustar\x0000', 257, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** Blocks followed by the two end-of-archive blocks, compressed with xz. */
function rawPayload(...blocks: Buffer[]): string {
  const file = path.join(dir, `raw-${++counter}.tar`);
  fs.writeFileSync(file, Buffer.concat([...blocks, Buffer.alloc(1024)]));
  execFileSync('xz', ['-6', '--force', file]);
  return `${file}.xz`;
}

test("a pax size record is honoured: the header it hides behind a file's stated size is read and refused", async () => {
  const record = '10 size=0\n';
  const pax = Buffer.alloc(512);
  pax.write(record, 'latin1');
  // The file's own header says 512 bytes of data; the pax record says none, so (as GNU tar reads it) the next
  // block is the header of etc/evil, not file data.
  const hidden = rawPayload(header('opt/homedrive/PaxHeaders/ok', 'x', record.length), pax, header('opt/homedrive/ok', '0', 512), header('etc/evil', '0', 0));
  await unsafe(hidden, /"etc\/evil" is not under opt\/homedrive\//);
  // The same blocks without the pax header: etc/evil's header is then the data of a 512-byte file, and passes.
  const file = await bundle(rawPayload(header('opt/homedrive/ok', '0', 512), header('etc/evil', '0', 0)));
  const { payloadOffset } = await verifyBundle(file, key.publicKeyPem);
  assert.deepEqual(await checkPayloadEntries(file, payloadOffset), { entries: 1, bytes: 512 });
});

test('a directory or symlink header with a size is refused', async () => {
  await unsafe(rawPayload(header('opt/homedrive/dir/', '5', 512), Buffer.alloc(512, 1)), /"opt\/homedrive\/dir\/" has a size/, 'bad_payload');
});

test("make bundle's step 86 signs the archive with HCD_BUNDLE_KEY, and without it leaves no .hcdb (not even an old one)", async () => {
  const { step } = await import('../../image/steps/86-bundle-sign.js');
  const { bundleArchive, signedBundle } = await import('../../image/lib/artifacts.js');
  const { imageConfig, paths } = await import('../../image/config.js');
  const { readLock } = await import('../../image/lib/lock.js');
  const out = path.join(dir, 'image-out');
  fs.mkdirSync(out);
  const ctx = { config: imageConfig, paths: { ...paths, out }, lock: readLock(), target: undefined as never, updateLock: false, started: Date.now() };
  fs.copyFileSync(goodPayload, bundleArchive(ctx));
  const hcdb = signedBundle(ctx);
  assert.equal(path.dirname(hcdb), out);
  assert.equal(path.basename(hcdb), path.basename(bundleArchive(ctx)).replace(/\.tar\.xz$/, '.hcdb'));

  const saved = process.env.HCD_BUNDLE_KEY;
  try {
    const keyFile = path.join(dir, 'signing-key.pem');
    fs.writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 });
    process.env.HCD_BUNDLE_KEY = keyFile;
    await step.run(ctx);
    const { manifest, payloadOffset } = await verifyBundle(hcdb, key.publicKeyPem);
    assert.match(manifest.version, /^0\.1\.0\+[0-9a-f]{7,}(\.dirty)?$/, 'package.json version + git commit');
    assert.equal(manifest.nodeVersion, ctx.lock.node.version);
    assert.deepEqual(fs.readFileSync(hcdb).subarray(payloadOffset), fs.readFileSync(goodPayload));

    delete process.env.HCD_BUNDLE_KEY;
    await step.run(ctx);
    assert.equal(fs.existsSync(hcdb), false, 'the .hcdb of the earlier build is removed');
    assert.equal(fs.existsSync(bundleArchive(ctx)), true, 'the unsigned archive stays');
  } finally {
    if (saved === undefined) delete process.env.HCD_BUNDLE_KEY;
    else process.env.HCD_BUNDLE_KEY = saved;
  }
});

test('bundle-cli signs, prints the public key, and verifies (exit 0), refuses (exit 1) or explains its usage (exit 64)', () => {
  const cli = path.resolve(import.meta.dirname, '../../provisioning/update/bundle-cli.ts');
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8' });
  const priv = path.join(dir, 'cli-key.pem');
  fs.writeFileSync(priv, key.privateKeyPem, { mode: 0o600 });
  const pub = path.join(dir, 'cli-key.pub.pem');
  const printed = run('public-key', '--key', priv);
  assert.equal(printed.status, 0, printed.stderr);
  fs.writeFileSync(pub, printed.stdout);
  const other = path.join(dir, 'cli-other.pub.pem');
  fs.writeFileSync(other, otherKey.publicKeyPem);

  const out = path.join(dir, 'cli.hcdb');
  const signed = run('sign', '--key', priv, '--payload', goodPayload, '--out', out, '--version', '2.0.0~rc1');
  assert.equal(signed.status, 0, signed.stderr);
  assert.equal((JSON.parse(signed.stdout) as { version: string }).version, '2.0.0~rc1');

  const ok = run('verify', '--key', pub, out);
  assert.equal(ok.status, 0, ok.stderr);
  const report = JSON.parse(ok.stdout) as { ok: boolean; manifest: { version: string }; entries: number };
  assert.equal(report.ok, true);
  assert.equal(report.manifest.version, '2.0.0~rc1');
  assert.ok(report.entries > 5);

  const refusedRun = run('verify', '--key', other, out);
  assert.equal(refusedRun.status, 1);
  assert.match(refusedRun.stderr, /^refused \(bad_signature\): /);
  assert.equal(run('verify', out).status, 64);
  assert.equal(run('frobnicate', '--key', pub).status, 64);
});
