// The SSD guard on a real loop-mounted ext4 filesystem: unplug (umount -l) refuses writes, replug brings them back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { api, dispose, errorCodeOf, login, poll, request, startDaemon, type Daemon } from '../../helpers/server.js';

/** Why this machine cannot run the test, or null. Needs root, mkfs.ext4 and loop devices. */
function cannotRun(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (mount)';
  for (const bin of ['mkfs.ext4', 'mount', 'umount']) {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    } catch {
      return `${bin} is missing (Debian: e2fsprogs, mount)`;
    }
  }
  if (!fs.existsSync('/dev/loop-control')) return 'no loop device support';
  return null;
}

const skip = cannotRun();

test(
  'unplugged SSD: writes refused with 503 and nothing written on the empty mount point; replugged: back, files intact',
  { skip: skip ?? false, timeout: 90_000 },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-ssd-'));
    const image = path.join(dir, 'ssd.img');
    const mnt = path.join(dir, 'mnt');
    fs.mkdirSync(mnt);
    execFileSync('truncate', ['-s', '64M', image]);
    execFileSync('mkfs.ext4', ['-q', '-F', image]);
    const mount = () => execFileSync('mount', ['-o', 'loop', image, mnt]);
    const mounted = () =>
      fs
        .readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .some((l) => l.split(' ')[4] === mnt);
    mount();
    let d: Daemon | undefined;
    try {
      d = await startDaemon({ dir, env: { HCD_REQUIRE_MOUNT: '1', HCD_DATA_DIR: mnt, HCD_DB: path.join(dir, 'hcd.db') } });
      const token = await login(d.base, 'admin', d.adminPassword!);
      const auth = { authorization: `Bearer ${token}` };
      const put = (p: string, body: string) => request(d!.port, 'PUT', `/api/fs/workspace/${p}`, { headers: auth, body });

      assert.equal((await api(d.base, null, 'GET', '/api/health')).json.storage, 'mounted');
      assert.equal((await put('before.txt', 'written on the SSD')).status, 201);
      const onSsd = await api(d.base, token, 'GET', '/api/admin/health');
      assert.equal(onSsd.json.storage.state, 'mounted');
      assert.equal(onSsd.json.storage.data.value.mount, mnt);
      assert.equal(onSsd.json.storage.data.value.type, 'ext4');

      // Unplug: a lazy unmount, as the kernel does when the USB disk goes away under open files.
      execFileSync('umount', ['-l', mnt]);
      assert.equal(mounted(), false);
      const t0 = Date.now();
      await poll('health to report the SSD missing', async () => (await api(d!.base, null, 'GET', '/api/health')).json.storage === 'missing', 6000, 100);
      assert.ok(Date.now() - t0 <= 6000);
      const refused = await put('after.txt', 'must not land on the SD card');
      assert.equal(refused.status, 503);
      assert.equal(errorCodeOf(refused), 'storage_unavailable');
      const mkdir = await request(d.port, 'POST', '/api/fs/workspace/folder', {
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ op: 'mkdir' }),
      });
      assert.equal(mkdir.status, 503);
      const backup = await api(d.base, token, 'POST', '/api/admin/health/jobs/backup/run');
      assert.equal(backup.json.outcome, 'failed');
      assert.deepEqual(fs.readdirSync(mnt), [], 'nothing written under the empty mount point');
      const missing = await api(d.base, token, 'GET', '/api/admin/health');
      assert.equal(missing.json.storage.state, 'missing');
      assert.equal(missing.json.storage.data.value, null);
      assert.match(missing.json.storage.data.reason, /not mounted/);
      await api(d.base, token, 'POST', '/api/admin/health/jobs/alerts/run');
      const alerts = (await api(d.base, token, 'GET', '/api/admin/health')).json.alerts.map((a: { key: string }) => a.key);
      assert.ok(alerts.includes('ssd_missing'), `alerts: ${alerts}`);

      // Replug.
      mount();
      await poll('health to report the SSD mounted again', async () => (await api(d!.base, null, 'GET', '/api/health')).json.storage === 'mounted', 6000, 100);
      assert.equal((await put('after.txt', 'back on the SSD')).status, 201);
      const back = await request(d.port, 'GET', '/api/fs/workspace/before.txt', { headers: auth });
      assert.equal(back.status, 200);
      assert.equal(back.text(), 'written on the SSD');
      assert.equal(fs.readFileSync(path.join(mnt, 'workspace', 'after.txt'), 'utf8'), 'back on the SSD');
    } finally {
      await dispose(d, { keepDir: true });
      if (mounted()) execFileSync('umount', ['-l', mnt]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
