// isMountPoint: a real filesystem mounted on the data root counts; a bind mount of a folder onto
// itself (what systemd's ReadWritePaths= does to the empty mount point) does not. Needs root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMountPoint } from '../../../daemon/src/storage/file-store.js';

test('a tmpfs on the folder is mounted storage; the folder bound onto itself is not', (t) => {
  assert.equal(process.getuid?.(), 0, 'this test mounts filesystems: run it as root (CI does)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-mount-'));
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  t.after(() => {
    for (let i = 0; i < 3; i++) {
      try {
        execFileSync('umount', [data], { stdio: 'ignore' });
      } catch {
        break;
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  assert.equal(isMountPoint(data), false, 'a plain folder');
  execFileSync('mount', ['--bind', data, data]);
  assert.equal(isMountPoint(data), false, 'bound onto itself: still the parent filesystem');
  execFileSync('umount', [data]);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', data]);
  assert.equal(isMountPoint(data), true, 'a filesystem of its own');
  assert.equal(isMountPoint(path.join(dir, 'missing')), false);
});
