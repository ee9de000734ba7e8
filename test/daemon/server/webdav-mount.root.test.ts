// A real WebDAV client: davfs2 (mount -t davfs, as root) mounts a user's /dav/home/, a tree of files is
// copied in, lands on the drive byte for byte, and comes back out identical through a fresh mount.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { login, startDaemon } from '../../helpers/server.js';

function requireDavfs(): void {
  if (process.getuid?.() !== 0) throw new Error('this test mounts a filesystem: run it as root');
  if (fs.existsSync('/sbin/mount.davfs') || fs.existsSync('/usr/sbin/mount.davfs')) return;
  execFileSync('sh', ['-c', 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends davfs2'], { stdio: 'inherit' });
}

/** Every file under `root`: relative path → SHA-256. */
function hashes(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'lost+found') continue; // davfs2's own folder for uploads it could not make
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(dir, e.name), r);
      else
        out.set(
          r,
          crypto
            .createHash('sha256')
            .update(fs.readFileSync(path.join(dir, e.name)))
            .digest('hex'),
        );
    }
  };
  walk(root, '');
  return out;
}

test('davfs2 mounts /dav/home/: a tree copied in and out keeps every byte', { timeout: 180_000 }, async (t) => {
  requireDavfs();
  const d = await startDaemon();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-davfs-'));
  const mounted: string[] = [];
  t.after(async () => {
    for (const m of mounted) execFileSync('umount', [m], { stdio: 'ignore' });
    await d.stop();
    fs.rmSync(d.dir, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
    // davfs2 keeps a cache per mount point under /var/cache/davfs2: ours go with the test.
    for (const e of fs.readdirSync('/var/cache/davfs2', { withFileTypes: true })) {
      if (e.name.includes(path.basename(work))) fs.rmSync(path.join('/var/cache/davfs2', e.name), { recursive: true, force: true });
    }
  });
  const token = await login(d.base, 'admin', d.adminPassword!);
  const password = 'laptop-mount-secret';
  const created = await fetch(`${d.base}/api/admin/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'marie', password, role: 'advanced' }),
  });
  assert.equal(created.status, 201);

  const url = `${d.base}/dav/home/`;
  const secrets = path.join(work, 'secrets');
  fs.writeFileSync(secrets, `${url} marie ${password}\n`, { mode: 0o600 });
  const conf = path.join(work, 'davfs2.conf');
  fs.writeFileSync(
    conf,
    [
      `secrets ${secrets}`,
      'ask_auth 0', // never prompt: the credentials are in the secrets file
      'use_locks 1', // davfs2 locks each file while it writes it: the drive's LOCK/UNLOCK are exercised too
      // Kernels since 6.x read directories in 32 KiB requests: davfs2 1.6.1's default 16 KiB buffer answers EINVAL.
      'buf_size 64',
      'delay_upload 0',
    ].join('\n') + '\n',
  );
  const mount = (dir: string) => {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'davfs', '-o', `conf=${conf}`, url, dir], { stdio: 'pipe', timeout: 30_000 });
    mounted.push(dir);
  };
  const umount = (dir: string) => {
    // umount.davfs waits until every file is uploaded.
    execFileSync('umount', [dir], { stdio: 'pipe', timeout: 60_000 });
    mounted.splice(mounted.indexOf(dir), 1);
  };

  // The tree: empty, tiny, a few MB of random bytes, nested folders and non-ASCII names.
  const src = path.join(work, 'src');
  const files: Record<string, Buffer> = {
    'empty.txt': Buffer.alloc(0),
    'one.txt': Buffer.from('x'),
    'notes/réunion été.md': Buffer.from('# Compte rendu\n\nÀ faire : tout.\n'),
    'photos/2026/IMG_0001.jpg': crypto.randomBytes(3 * 1024 * 1024 + 17),
    'photos/2026/IMG_0002.jpg': crypto.randomBytes(200 * 1024),
    'deep/a/b/c/d.bin': crypto.randomBytes(65_537),
  };
  for (const [rel, bytes] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    fs.writeFileSync(path.join(src, rel), bytes);
  }
  const want = hashes(src);

  const m1 = path.join(work, 'mnt1');
  mount(m1);
  fs.cpSync(src, path.join(m1, 'tree'), { recursive: true });
  umount(m1);

  // On the drive: the same bytes, indexed and owned by marie.
  const onDisk = path.join(d.dir, 'data', 'users', 'marie', 'tree');
  assert.deepEqual(hashes(onDisk), want);
  const listing = (await (
    await fetch(`${d.base}/api/fs/home/tree/photos/2026/`, { headers: { authorization: `Bearer ${await login(d.base, 'marie', password)}` } })
  ).json()) as {
    entries: { name: string; owner: string }[];
  };
  assert.deepEqual(
    listing.entries.map((e) => [e.name, e.owner]),
    [
      ['IMG_0001.jpg', 'marie'],
      ['IMG_0002.jpg', 'marie'],
    ],
  );

  // Out again through another mount (its own, empty cache): every byte read back over WebDAV.
  const m2 = path.join(work, 'mnt2');
  mount(m2);
  const out = path.join(work, 'out');
  fs.cpSync(path.join(m2, 'tree'), out, { recursive: true });
  umount(m2);
  assert.deepEqual(hashes(out), want);
});
