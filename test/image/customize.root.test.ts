// image/customize.ts on a copy of the built image (Raspberry Pi OS downloads are out of reach here): grow, loop-mount, chroot, bundle, provisioning.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { customize } from '../../image/customize.js';
import { NODE_BIN } from '../../provisioning/contract.js';
import { requireRoot } from '../provisioning/helpers/fixtures.js';
import { bootRead, withPartition, withPartitionDevice } from './helpers/disk.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = path.join(REPO, '.cache', 'image', 'out');
const BUILT = path.join(OUT, 'homedrive-pi4-arm64.img');

let work: string;
let copy: string;
let bundle: string;

function rootPartitionSectors(image: string): number {
  const table = JSON.parse(execFileSync('sfdisk', ['--json', image], { encoding: 'utf8' })) as { partitiontable: { partitions: Array<{ size: number }> } };
  return table.partitiontable.partitions[1]?.size ?? 0;
}

before(() => {
  requireRoot();
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`make image\` first`);
  const archive = readdirSync(OUT).find((f) => /^homedrive-.*-linux-arm64-node.*\.tar\.xz$/.test(f));
  if (!archive) throw new Error(`no bundle in ${OUT}: run \`make bundle\` (make image also makes it)`);
  bundle = path.join(OUT, archive);
  work = mkdtempSync(path.join(tmpdir(), 'hcd-customize-test-'));
  copy = path.join(work, 'raspios-like.img');
  execFileSync('cp', ['--sparse=always', BUILT, copy]);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('customize installs the bundle and provisioning into an image that lacks them, and grows its root', async () => {
  // Make the copy look like a stock OS image: no daemon, no units, no first-boot file.
  await withPartition(copy, 2, (root) => {
    rmSync(path.join(root, 'opt/homedrive'), { recursive: true, force: true });
    rmSync(path.join(root, 'etc/systemd/system/homedrive.service'), { force: true });
    rmSync(path.join(root, 'etc/systemd/system/multi-user.target.wants/homedrive.service'), { force: true });
  });
  execFileSync('mdel', ['-i', `${copy}@@${4 * 1024 * 1024}`, '::/homedrive.txt'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
  const sizeBefore = statSync(copy).size;
  const sectorsBefore = rootPartitionSectors(copy);
  const lines: string[] = [];
  await customize({ image: copy, bundle, inPlace: true, growMiB: 256, apt: false, log: (l) => lines.push(l) });
  assert.equal(statSync(copy).size, sizeBefore + 256 * 1024 * 1024);
  assert.equal(rootPartitionSectors(copy), sectorsBefore + (256 * 1024 * 1024) / 512);
  assert.ok(
    lines.some((l) => /Node\.js in the image: v\d+\.\d+\.\d+ arm64/.test(l)),
    lines.join('\n'),
  );
  await withPartition(
    copy,
    2,
    (root) => {
      assert.ok(statSync(path.join(root, NODE_BIN)).mode & 0o111);
      assert.match(readFileSync(path.join(root, 'etc/systemd/system/homedrive.service'), 'utf8'), /ExecStart=\/opt\/homedrive\/node\/bin\/node/);
      // lstat: the link is absolute (/etc/...), meaningful inside the image only.
      assert.ok(lstatSync(path.join(root, 'etc/systemd/system/multi-user.target.wants/homedrive.service')).isSymbolicLink());
      assert.ok(existsSync(path.join(root, 'opt/homedrive/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node')));
    },
    { readOnly: true },
  );
  assert.match(bootRead(copy, 'homedrive.txt'), /^admin_password=$/m, 'customize put the first-boot file on the FAT partition');
  // The file systems it touched are clean.
  await withPartitionDevice(copy, 2, (dev) => execFileSync('e2fsck', ['-fn', dev], { stdio: 'pipe' }), { readOnly: true });
  await withPartitionDevice(copy, 1, (dev) => execFileSync('fsck.vfat', ['-n', dev], { stdio: 'pipe' }), { readOnly: true });
});

test('customize refuses a missing bundle before touching the image', async () => {
  await assert.rejects(customize({ image: copy, bundle: path.join(work, 'nope.tar.xz'), inPlace: true }), /does not exist/);
});
