// The version /api/health reports: app/VERSION (the image's and an update's signed version), else package.json's,
// found from the running file both when built (dist/daemon/src → the app) and under tsx (daemon/src → the repo).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appRoot, readVersion } from '../../../daemon/src/version.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-version-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the app root from the running file, built or not', () => {
  assert.equal(appRoot('/opt/homedrive/app/dist/daemon/src'), '/opt/homedrive/app');
  assert.equal(appRoot('/work/repo/daemon/src'), '/work/repo');
});

test('VERSION first, then package.json, then "unknown"', () => {
  assert.equal(readVersion(dir), 'unknown');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ version: '0.1.0' }));
  assert.equal(readVersion(dir), '0.1.0');
  fs.writeFileSync(path.join(dir, 'VERSION'), '0.1.0+fb6b5f8\n');
  assert.equal(readVersion(dir), '0.1.0+fb6b5f8');
  fs.writeFileSync(path.join(dir, 'VERSION'), '\n');
  assert.equal(readVersion(dir), '0.1.0', 'an empty VERSION does not count');
});
