// Real filesystems (needs root, which CI has: it must run, not skip): a full disk answers 507 and
// leaves no partial file; the appliance's mount guard refuses writes while the data root is not a
// mounted filesystem, notices a mount and an unmount while running, and never writes to the bare
// mount point.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  api,
  dirEntries,
  diskFiles,
  dispose,
  errorCodeOf,
  listFiles,
  login,
  poll,
  pseudoRandom,
  request,
  sha256,
  startDaemon,
  type Daemon,
} from '../../helpers/server.js';

const MiB = 1024 * 1024;

function isMounted(dir: string): boolean {
  const real = fs.realpathSync(dir);
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === real);
}

function mountTmpfs(dir: string, size: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0750`, 'tmpfs', dir], { stdio: 'pipe' });
}

function umount(dir: string): void {
  if (!isMounted(dir)) return;
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' }); // busy: detach now, freed when let go
  }
}

const tmpOf = (d: Daemon) => path.join(d.dir, 'data', '.hcd', 'tmp');
const workspaceOf = (d: Daemon) => path.join(d.dir, 'data', 'workspace');

before(() => {
  assert.equal(process.getuid?.(), 0, 'these tests mount filesystems and must run as root (CI runs them as root)');
});

describe('a full disk: 507 disk_full and nothing partial', { timeout: 120_000 }, () => {
  let dir = '';
  let d: Daemon | undefined;
  let auth: Record<string, string> = {};

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-full-'));
    fs.mkdirSync(path.join(dir, 'data'));
    mountTmpfs(path.join(dir, 'data'), '4m');
    d = await startDaemon({ dir });
    auth = { authorization: `Bearer ${await login(d.base, 'admin', d.adminPassword!)}` };
  });
  after(async () => {
    await dispose(d, { keepDir: true });
    umount(path.join(dir, 'data'));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const assertNothingPartial = async () => {
    await poll('.hcd/tmp to be empty', () => dirEntries(tmpOf(d!)).length === 0, 5_000);
    assert.deepEqual(diskFiles(workspaceOf(d!)), []);
    assert.deepEqual(await listFiles(d!.base, auth.authorization!.slice(7)), []);
  };

  test('8 MiB with Content-Length → 507 before a byte is written', async () => {
    const r = await request(d!.port, 'PUT', '/api/fs/workspace/big/eight.bin', {
      headers: { ...auth, 'content-length': String(8 * MiB) },
      body: pseudoRandom('eight', 8 * MiB, 256 * 1024),
    });
    assert.equal(r.status, 507, r.text());
    assert.equal(errorCodeOf(r), 'disk_full');
    await assertNothingPartial();
    assert.ok(!fs.existsSync(path.join(workspaceOf(d!), 'big')), 'not even its folder');
  });

  test('8 MiB chunked (no Content-Length) → 507 once the disk fills, and the partial file is removed', async () => {
    const r = await request(d!.port, 'PUT', '/api/fs/workspace/big/chunked.bin', {
      headers: auth,
      body: pseudoRandom('chunked', 8 * MiB, 256 * 1024),
    });
    assert.equal(r.status, 507, r.text());
    assert.equal(errorCodeOf(r), 'disk_full');
    await assertNothingPartial();
    const { bavail, bsize } = fs.statfsSync(path.join(d!.dir, 'data'));
    assert.ok(bavail * bsize > 3 * MiB, 'the space taken by the partial upload is given back');
  });

  test('a small upload still works afterwards', async () => {
    const body = Buffer.alloc(100 * 1024, 7);
    const r = await request(d!.port, 'PUT', '/api/fs/workspace/small.bin', { headers: { ...auth, 'content-length': String(body.length) }, body });
    assert.equal(r.status, 201, r.text());
    const get = await request(d!.port, 'GET', '/api/fs/workspace/small.bin', { headers: auth });
    assert.equal(sha256(get.body), sha256(body));
    assert.deepEqual(dirEntries(tmpOf(d!)), []);
  });
});

describe('unfinished resumable uploads reserve free space (issue 12, item 9)', { timeout: 120_000 }, () => {
  let dir = '';
  let d: Daemon | undefined;
  let auth: Record<string, string> = {};
  const tus = (length: number, name: string) =>
    request(d!.port, 'POST', '/api/tus', {
      headers: {
        ...auth,
        'tus-resumable': '1.0.0',
        'upload-length': String(length),
        'upload-metadata': `space ${Buffer.from('workspace').toString('base64')},path ${Buffer.from(name).toString('base64')}`,
      },
    });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-tusfull-'));
    fs.mkdirSync(path.join(dir, 'data'));
    mountTmpfs(path.join(dir, 'data'), '48m');
    // 8 MiB kept free: about 39 MiB writable, as in the report.
    d = await startDaemon({ dir, env: { HCD_MIN_FREE_BYTES: String(8 * MiB) } });
    auth = { authorization: `Bearer ${await login(d.base, 'admin', d.adminPassword!)}` };
  });
  after(async () => {
    await dispose(d, { keepDir: true });
    umount(path.join(dir, 'data'));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('three 15 MiB creations on ~39 MiB: the third is 507, the reserve is never eaten, health says so', async () => {
    const a = await tus(15 * MiB, 'a.bin');
    const b = await tus(15 * MiB, 'b.bin');
    assert.equal(a.status, 201, a.text());
    assert.equal(b.status, 201, b.text());
    const c = await tus(15 * MiB, 'c.bin');
    assert.equal(c.status, 507, c.text());
    assert.equal(errorCodeOf(c), 'disk_full');
    assert.match(String(c.headers['content-type']), /application\/json/);
    // Filling both accepted uploads leaves the reserve untouched.
    for (const r of [a, b]) {
      const body = Buffer.alloc(15 * MiB, 3);
      const p = await request(d!.port, 'PATCH', r.headers.location!, {
        headers: {
          ...auth,
          'tus-resumable': '1.0.0',
          'upload-offset': '0',
          'content-type': 'application/offset+octet-stream',
          'content-length': String(body.length),
        },
        body,
      });
      assert.equal(p.status, 204, p.text());
    }
    const { bavail, bsize } = fs.statfsSync(path.join(dir, 'data'));
    assert.ok(bavail * bsize >= 8 * MiB - 64 * 1024, `free ${bavail * bsize}`);
    assert.match(d!.output(), /disk full: resumable upload refused/);
    assert.equal((await tus(16 * MiB, 'd.bin')).status, 507);
    assert.equal((await api(d!.base, null, 'GET', '/api/health')).json.diskFull, false, 'the reserve is still free');
    // Something else eats into the reserve (a copy onto the disk, the trash): health now reports it.
    const { bavail: left, bsize: bs } = fs.statfsSync(path.join(dir, 'data'));
    fs.writeFileSync(path.join(dir, 'data', '.hcd', 'filler'), Buffer.alloc(left * bs - 4 * MiB));
    await new Promise((r) => setTimeout(r, 1100)); // the free-space figure is cached for a second
    const h = await api(d!.base, null, 'GET', '/api/health');
    assert.equal(h.json.status, 'degraded');
    assert.equal(h.json.diskFull, true);
  });
});

describe('HCD_REQUIRE_MOUNT=1: the mount guard', { timeout: 120_000 }, () => {
  let dir = '';
  let dataDir = '';
  let d: Daemon | undefined;
  let token = '';
  let auth: Record<string, string> = {};

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-guard-'));
    dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir); // the SSD's empty mount point, nothing mounted on it
    d = await startDaemon({ dir, env: { HCD_REQUIRE_MOUNT: '1' } });
    token = await login(d.base, 'admin', d.adminPassword!);
    auth = { authorization: `Bearer ${token}` };
  });
  after(async () => {
    await dispose(d, { keepDir: true });
    umount(dataDir);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const put = (rel: string, text: string) => {
    const body = Buffer.from(text);
    return request(d!.port, 'PUT', `/api/fs/workspace/${rel}`, { headers: { ...auth, 'content-length': String(body.length) }, body });
  };

  test('not mounted: health is degraded/missing, writes are 503, and nothing is created on the mount point', async () => {
    assert.ok(!isMounted(dataDir));
    const health = await api(d!.base, null, 'GET', '/api/health');
    assert.equal(health.status, 200);
    assert.equal(health.json.status, 'degraded');
    assert.equal(health.json.storage, 'missing');

    const r = await put('a.txt', 'hello');
    assert.equal(r.status, 503);
    assert.equal(errorCodeOf(r), 'storage_unavailable');
    const chunked = await request(d!.port, 'PUT', '/api/fs/workspace/b.txt', { headers: auth, body: pseudoRandom('b', 64 * 1024) });
    assert.equal(chunked.status, 503);
    const mkdir = await request(d!.port, 'POST', '/api/fs/workspace/folder', {
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ op: 'mkdir' }),
    });
    assert.equal(mkdir.status, 503);
    assert.equal(errorCodeOf(mkdir), 'storage_unavailable');
    const home = await request(d!.port, 'PUT', '/api/fs/home/x.txt', { headers: { ...auth, 'content-length': '1' }, body: Buffer.from('x') });
    assert.equal(home.status, 503, 'the private containers are guarded too');
    assert.deepEqual(fs.readdirSync(dataDir), [], 'not a file, not a folder written onto the bare mount point');
  });

  test('mounted while running: within ~6 s health says mounted and a PUT succeeds', async () => {
    mountTmpfs(dataDir, '16m');
    await poll(
      'health to report the storage mounted',
      async () => {
        const h = await api(d!.base, null, 'GET', '/api/health');
        return h.json.status === 'ok' && h.json.storage === 'mounted';
      },
      6_500,
      100,
    );
    const r = await put('on-ssd/a.txt', 'on the ssd\n');
    assert.equal(r.status, 201, r.text());
    assert.equal(fs.readFileSync(path.join(dataDir, 'workspace', 'on-ssd', 'a.txt'), 'utf8'), 'on the ssd\n');
    // The daemon's own recovery pass for the newly mounted drive keeps what was uploaded meanwhile.
    await poll('the storage watcher to notice the mount', () => /storage ready/.test(d!.output().split('storage missing at start')[1] ?? ''), 7_000, 100);
    assert.deepEqual(await listFiles(d!.base, token), ['on-ssd/a.txt']);
    assert.deepEqual(diskFiles(path.join(dataDir, 'workspace')), ['on-ssd/a.txt']);
  });

  test('unmounted again: writes are refused (503) and nothing lands on the mount point', async () => {
    umount(dataDir);
    assert.ok(!isMounted(dataDir));
    // At once, not after a cache expires: a write must never land on the bare mount point.
    const r = await put('after.txt', 'must not land on the SD card');
    assert.equal(r.status, 503, r.text());
    assert.equal(errorCodeOf(r), 'storage_unavailable');
    const chunked = await request(d!.port, 'PUT', '/api/fs/workspace/after-chunked.bin', { headers: auth, body: pseudoRandom('after', 64 * 1024) });
    assert.equal(chunked.status, 503);
    await poll(
      'health to report the storage missing',
      async () => {
        const h = await api(d!.base, null, 'GET', '/api/health');
        return h.json.status === 'degraded' && h.json.storage === 'missing';
      },
      6_500,
      100,
    );
    assert.deepEqual(fs.readdirSync(dataDir), [], 'the bare mount point stays empty');
  });
});
