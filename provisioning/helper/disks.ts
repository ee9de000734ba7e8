// The root helper's disk management: which disks are connected (lsblk) and what each one is to the
// drive (the SD card holding the system, the SSD holding the storage, anything else); preparing an
// empty USB disk as the storage (wipefs, one GPT partition, ext4 labelled HOMEDRIVE); mounting a USB
// stick read-only under /run/homedrive/usb/<name>, copying a tree out of it, unmounting and ejecting.
//
// As in verbs.ts, every program runs through execFile with an argument array, never a shell, and
// every path argument is validated (zod) before anything runs. The pure parts (the lsblk parse, the
// validation, the prepare plan) are separate from the runs so that they are unit-tested on fixtures.
// The helper's sandbox denies mounts and devices: these run in provisioning/disks-job.ts, a transient
// unit started by the disk verbs (disk-verbs.ts); see provisioning/README.md, "Disks".
import { execFile } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DATA_LABEL, DATA_ROOT } from '../contract.js';

/** Where USB sticks are mounted, one directory per partition (its kernel name: sdb1). A tmpfs: gone at reboot. */
export const USB_MOUNT_ROOT = '/run/homedrive/usb';

/** Mount points that make a disk the system disk (on a Pi: the SD card, mmcblk0). */
const SYSTEM_MOUNTS = new Set(['/', '/boot/firmware', '/boot']);

/**
 * lsblk's columns. util-linux 2.38 (Debian 12) and 2.41 (Debian 13) have them all; MOUNTPOINTS (2.37+)
 * is the array form (a file system mounted twice, a bind mount), MOUNTPOINT only the first. Both are
 * asked for, and the parse takes either, so an older lsblk's output still parses.
 */
export const LSBLK_COLUMNS = [
  'NAME',
  'PATH',
  'TYPE',
  'SIZE',
  'MODEL',
  'VENDOR',
  'SERIAL',
  'TRAN',
  'RM',
  'RO',
  'HOTPLUG',
  'FSTYPE',
  'LABEL',
  'UUID',
  'MOUNTPOINT',
  'MOUNTPOINTS',
  'PKNAME',
] as const;
export const LSBLK_ARGS = ['--json', '--bytes', '--output', LSBLK_COLUMNS.join(',')];

export type Transport = 'usb' | 'nvme' | 'sata' | 'mmc' | null;
export type Role = 'storage' | 'system' | 'other';

export interface Partition {
  path: string;
  fsType: string | null;
  label: string | null;
  sizeBytes: number;
  /** The first mount point (null: not mounted); `[SWAP]` for an active swap partition. */
  mountpoint: string | null;
}

export interface Disk {
  path: string;
  /** The kernel's name (sda, nvme0n1, mmcblk0): /sys/block/<name>. */
  name: string;
  model: string | null;
  /**
   * What the admin sees and must type to confirm erasing the disk: its path and model ("/dev/sda
   * Samsung SSD 870"), the path alone when the disk reports no model. The path makes it unique (two
   * identical sticks), the model makes it recognisable (the admin checks it is the disk they mean).
   */
  displayName: string;
  sizeBytes: number;
  transport: Transport;
  /** The kernel's removable flag, or hot-pluggable: a USB SSD says rm=0 but hotplug=1. */
  removable: boolean;
  readOnly: boolean;
  /** A file system on the whole disk, without a partition table (some sticks): it is listed as the disk's one partition. */
  partitions: Partition[];
  role: Role;
}

// ---- the lsblk parse -------------------------------------------------------------------------------

interface LsblkDevice {
  name?: string;
  path?: string;
  type?: string;
  size?: number | string | null;
  model?: string | null;
  vendor?: string | null;
  tran?: string | null;
  rm?: boolean | string | null;
  ro?: boolean | string | null;
  hotplug?: boolean | string | null;
  fstype?: string | null;
  label?: string | null;
  mountpoint?: string | null;
  mountpoints?: (string | null)[] | null;
  pkname?: string | null;
  children?: LsblkDevice[];
}

export interface ParseOptions {
  /** The device `/` is mounted from (findmnt -n -o SOURCE /): marks the system disk even when lsblk shows no mount point (a container, an overlay root). */
  rootSource?: string | null;
  /** Where the drive's storage is mounted (the contract's DATA_ROOT). */
  storageMount?: string;
  /** Device types listed: 'disk' only in production; the root test adds 'loop' for its loop devices. */
  types?: readonly string[];
}

function text(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  // Models and vendors come space-padded from SCSI inquiry data ("ATA     ").
  const t = v.trim().replace(/\s+/g, ' ');
  return t === '' ? null : t;
}

// lsblk 2.38 prints RM/RO/HOTPLUG as JSON booleans; 2.33 printed "0"/"1".
function flag(v: unknown): boolean {
  return v === true || v === '1' || v === 1;
}

function size(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : 0;
  return Number.isSafeInteger(n) ? n : 0;
}

function mountsOf(d: LsblkDevice): string[] {
  const all = Array.isArray(d.mountpoints) ? d.mountpoints : [];
  const list = all.filter((m): m is string => typeof m === 'string' && m !== '');
  if (list.length === 0 && typeof d.mountpoint === 'string' && d.mountpoint !== '') list.push(d.mountpoint);
  return list;
}

function transportOf(d: LsblkDevice, name: string): Transport {
  const t = (d.tran ?? '').toLowerCase();
  if (t === 'usb' || t === 'nvme' || t === 'sata' || t === 'mmc') return t;
  // A PATA/SATA bridge reports "ata" on some controllers; the admin only needs to know it is internal.
  if (t === 'ata') return 'sata';
  // Older lsblk leave TRAN empty for these; the kernel's name says it.
  if (/^mmcblk\d+$/.test(name)) return 'mmc';
  if (/^nvme\d+n\d+$/.test(name)) return 'nvme';
  return null;
}

/** Every device of the tree in document order, each with its parent disk's name. */
function flatten(devices: LsblkDevice[], parent: string | null, out: { d: LsblkDevice; parent: string | null }[]) {
  for (const d of devices) {
    out.push({ d, parent: d.pkname ?? parent });
    if (Array.isArray(d.children)) flatten(d.children, d.name ?? null, out);
  }
  return out;
}

/**
 * `lsblk --json` (tree or --list form) → the disks and their partitions, with their role. Pure.
 * Listed: whole devices of `types` ('disk') with a size (an empty card reader slot has 0 bytes), but
 * not zram or ram disks (swap in memory, not something to prepare or eject).
 */
export function parseLsblk(json: unknown, options: ParseOptions = {}): Disk[] {
  const storageMount = options.storageMount ?? DATA_ROOT;
  const types = options.types ?? ['disk'];
  const root = (json as { blockdevices?: unknown } | null)?.blockdevices;
  if (!Array.isArray(root)) throw new DiskError('lsblk_output', 'lsblk printed no "blockdevices" list');
  const all = flatten(root as LsblkDevice[], null, []);
  const disks: (Disk & { mounts: string[]; labelled: boolean; holdsStorage: boolean })[] = [];
  for (const { d } of all) {
    const name = d.name ?? '';
    if (!types.includes(d.type ?? '') || /^(zram|ram)\d+$/.test(name) || size(d.size) === 0) continue;
    const devPath = d.path ?? `/dev/${name}`;
    const partitions: Partition[] = [];
    const mounts: string[] = [...mountsOf(d)];
    const parts = all.filter((x) => x.parent === name && x.d !== d && x.d.type === 'part');
    // A file system straight on the disk (a "superfloppy" stick): the disk is its own partition.
    const fsOnDisk = parts.length === 0 && text(d.fstype) !== null;
    for (const { d: p } of fsOnDisk ? [{ d }] : parts) {
      const m = mountsOf(p);
      if (p !== d) mounts.push(...m);
      partitions.push({ path: p.path ?? `/dev/${p.name}`, fsType: text(p.fstype), label: text(p.label), sizeBytes: size(p.size), mountpoint: m[0] ?? null });
    }
    const model = text(d.model);
    const nodes = [devPath, ...partitions.map((p) => p.path)];
    const system = mounts.some((m) => SYSTEM_MOUNTS.has(m)) || (!!options.rootSource && nodes.includes(options.rootSource));
    disks.push({
      path: devPath,
      name,
      model,
      displayName: model ? `${devPath} ${model}` : devPath,
      sizeBytes: size(d.size),
      transport: transportOf(d, name),
      removable: flag(d.rm) || flag(d.hotplug),
      readOnly: flag(d.ro),
      partitions,
      role: system ? 'system' : 'other',
      mounts,
      labelled: partitions.some((p) => p.label === DATA_LABEL),
      holdsStorage: mounts.includes(storageMount),
    });
  }
  // The storage disk: the one mounted at the storage mount point; when none is (the SSD failed to
  // mount, or the drive is stopped), the one carrying a HOMEDRIVE file system.
  const mounted = disks.some((d) => d.holdsStorage && d.role !== 'system');
  for (const d of disks) if (d.role !== 'system' && (mounted ? d.holdsStorage : d.labelled)) d.role = 'storage';
  return disks.map(({ mounts: _m, labelled: _l, holdsStorage: _h, ...disk }) => disk);
}

// ---- running programs ------------------------------------------------------------------------------

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}
export type Run = (file: string, args: string[], options?: { input?: string; timeoutMs?: number }) => Promise<RunResult>;

/** One program call of a plan: what runs, so that a test can compare it exactly. */
export interface Command {
  file: string;
  args: string[];
  /** Written to the program's standard input (sfdisk's script). */
  input?: string;
}

export class DiskError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** execFile with a fixed PATH and C locale (messages we can match), standard input from `input`. Never throws. */
export const execRun: Run = (file, args, options = {}) =>
  new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === -1 ? err.message : '') });
      },
    );
    // A program that exits without reading its input (a missing file) must not crash us with EPIPE.
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });

function firstLine(r: RunResult): string {
  return (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' / ') || `exit code ${r.code}`;
}

async function must(run: Run, c: Command, what: string, timeoutMs?: number): Promise<RunResult> {
  const r = await run(c.file, c.args, { input: c.input, timeoutMs });
  if (r.code !== 0) throw new DiskError('command_failed', `${what}: ${c.file} failed: ${firstLine(r)}`);
  return r;
}

export interface ListOptions {
  storageMount?: string;
  types?: readonly string[];
}

/** The connected disks, through lsblk; `/`'s source from findmnt marks the system disk (see ParseOptions.rootSource). */
export async function listDisks(run: Run = execRun, options: ListOptions = {}): Promise<Disk[]> {
  const r = await run('lsblk', LSBLK_ARGS);
  if (r.code !== 0) throw new DiskError('command_failed', `lsblk failed: ${firstLine(r)}`);
  const root = await run('findmnt', ['--noheadings', '--output', 'SOURCE', '--mountpoint', '/']);
  const rootSource = root.code === 0 ? root.stdout.trim() || null : null;
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new DiskError('lsblk_output', 'lsblk printed something that is not JSON');
  }
  await probeMissing(run, json, options.types ?? ['disk']);
  return parseLsblk(json, { rootSource, storageMount: options.storageMount, types: options.types });
}

/** `blkid -o export` → its KEY=value lines. blkid escapes spaces and shell characters with a backslash ("CLE\\ USB"). */
export function parseBlkidExport(out: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields[line.slice(0, eq)] = line.slice(eq + 1).replace(/\\(.)/g, '$1');
  }
  return fields;
}

/**
 * lsblk takes file system types and labels from udev's database. Where udev has none (udevd not
 * running, as in a container, or a disk it has not processed yet) lsblk shows null and does not probe
 * itself: blkid -p reads the device's own signatures for each partition (or unpartitioned device)
 * that lsblk left blank, of the disks listed only. Read-only; a device that answers nothing keeps its null.
 */
async function probeMissing(run: Run, json: unknown, types: readonly string[]): Promise<void> {
  const root = (json as { blockdevices?: unknown } | null)?.blockdevices;
  if (!Array.isArray(root)) return;
  const all = flatten(root as LsblkDevice[], null, []);
  // Only devices that will be listed, and their partitions: nothing else of the machine is read.
  const listed = new Set(
    all.filter(({ d }) => types.includes(d.type ?? '') && size(d.size) > 0 && !/^(zram|ram)\d+$/.test(d.name ?? '')).map(({ d }) => d.name),
  );
  const hasParts = new Set(all.filter(({ d }) => d.type === 'part').map(({ parent }) => parent));
  for (const { d, parent } of all) {
    const candidate = d.type === 'part' ? listed.has(parent ?? '') : listed.has(d.name) && !hasParts.has(d.name ?? null);
    if (!candidate || text(d.fstype) !== null || size(d.size) === 0 || !d.path) continue;
    const r = await run('blkid', ['-p', '-o', 'export', d.path], { timeoutMs: 10_000 });
    if (r.code !== 0) continue;
    const f = parseBlkidExport(r.stdout);
    if (f.TYPE) {
      d.fstype = f.TYPE;
      d.label = f.LABEL ?? null;
    }
  }
}

// ---- validation ------------------------------------------------------------------------------------

// Only names the kernel gives USB, SATA and NVMe disks; the SD card (mmcblk*) never matches, and the
// anchors refuse anything after the name (/dev/sda/../mmcblk0, /dev/sda; rm -rf /).
const WHOLE_DISK = /^\/dev\/(sd[a-z]{1,2}|nvme\d+n\d+)$/;
const PARTITION = /^\/dev\/(sd[a-z]{1,2}[1-9]\d{0,2}|nvme\d+n\d+p[1-9]\d{0,2})$/;
const SCSI_DISK = /^\/dev\/sd[a-z]{1,2}$/;

function refusal(kind: string, expected: string) {
  return (v: unknown) => {
    const shown = typeof v === 'string' ? JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v) : 'this value';
    const sd = typeof v === 'string' && v.startsWith('/dev/mmcblk') ? ' (an SD card or eMMC holds the system: it is never a choice)' : '';
    return `${shown} is not ${kind}${sd}; expected ${expected}`;
  };
}

/** A path schema: the message names the refused value and what was expected. */
export function devicePath(pattern: RegExp, kind: string, expected: string) {
  const message = refusal(kind, expected);
  return z.string().superRefine((v, ctx) => {
    if (!pattern.test(v)) ctx.addIssue({ code: 'custom', message: message(v) });
  });
}
export type DevicePath = ReturnType<typeof devicePath>;

/** A whole disk that may be prepared: /dev/sda…/dev/sdzz, /dev/nvme0n1. */
export const wholeDiskPath = devicePath(WHOLE_DISK, 'a whole USB, SATA or NVMe disk', '/dev/sdX or /dev/nvmeXnY');
/** A partition to import from or export to: /dev/sdb1, /dev/nvme0n1p1. */
export const partitionPath = devicePath(PARTITION, 'a partition of a USB, SATA or NVMe disk', '/dev/sdXN or /dev/nvmeXnYpN');
/** A disk that can be ejected: only SCSI disks (USB mass storage) have /sys/block/<sdX>/device/delete. */
export const ejectDiskPath = devicePath(SCSI_DISK, 'a USB disk that can be ejected', '/dev/sdX');

function check<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new DiskError('bad_request', r.error.issues[0]?.message ?? 'invalid path');
  return r.data;
}

// ---- prepare ---------------------------------------------------------------------------------------

export type PrepareStep = 'wipe' | 'partition' | 'format' | 'done';
export interface PrepareProgress {
  step: PrepareStep;
  disk: string;
}

/** GPT's "Linux filesystem data" type. */
const LINUX_FS_GUID = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';

/** The kernel's name for partition n of a disk: a name ending in a digit gets "p" (nvme0n1p1, loop0p1, mmcblk0p1). */
export function partitionOf(disk: string, n: number): string {
  return /\d$/.test(disk) ? `${disk}p${n}` : `${disk}${n}`;
}

export interface PreparePlan {
  disk: string;
  partition: string;
  wipe: Command[];
  partitionTable: Command;
  /** The kernel's partitions made those of the new table. */
  rescan: Command;
  /** Waits for udev to have made the partition's node. */
  settle: Command;
  format: Command;
}

/**
 * The prepare plan for a disk, as program calls (pure). The old partitions' signatures are wiped
 * before the disk's own: wipefs -a on the disk only erases the partition table, and an old file
 * system found again at the new partition's offset would confuse blkid until mkfs overwrites it.
 */
export function preparePlan(disk: Disk): PreparePlan {
  const partition = partitionOf(disk.path, 1);
  const parts = disk.partitions.map((p) => p.path).filter((p) => p !== disk.path);
  return {
    disk: disk.path,
    partition,
    wipe: [...parts.map((p) => ({ file: 'wipefs', args: ['--all', p] })), { file: 'wipefs', args: ['--all', disk.path] }],
    // One partition from sfdisk's default first sector (1 MiB, aligned for flash) to the end.
    partitionTable: {
      file: 'sfdisk',
      args: ['--wipe', 'always', '--wipe-partitions', 'always', disk.path],
      input: `label: gpt\n,,${LINUX_FS_GUID},\n`,
    },
    rescan: { file: 'partx', args: ['--update', disk.path] },
    settle: { file: 'udevadm', args: ['settle', '--timeout=10'] },
    // -m 0: no blocks reserved for root (nothing of root's lives on the data disk). lazy_itable_init:
    // the inode tables are zeroed in the background after mount, so formatting a 2 TB disk takes
    // seconds, not minutes.
    format: { file: 'mkfs.ext4', args: ['-F', '-L', DATA_LABEL, '-m', '0', '-E', 'lazy_itable_init=1', partition] },
  };
}

const prepareArgsShape = (disk: DevicePath) => z.object({ disk, confirm: z.string().max(300) }).strict();

/** The arguments of a prepare request: { disk, confirm }, strict. */
export const prepareArgs = prepareArgsShape(wholeDiskPath);

export interface DiskDeps {
  run?: Run;
  /** The connected disks (default: listDisks(run)). */
  listDisks?: () => Promise<Disk[]>;
  /** The path rule (default: the production rule); the root test passes one for its /dev/loopN. */
  diskPath?: DevicePath;
  /** Whether a path is a block device node (default: fs.stat); waits use it. */
  isBlockDevice?: (p: string) => Promise<boolean>;
  /** How long to wait for the new partition's node (default 10 s). */
  nodeWaitMs?: number;
}

async function statBlock(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isBlockDevice();
  } catch {
    return false;
  }
}

async function waitFor(p: string, isBlock: (p: string) => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await isBlock(p)) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const normalise = (s: string) => s.trim().replace(/\s+/g, ' ');

/** Why a disk cannot be erased, or null: the system disk, the storage disk, a disk with a mounted partition, a read-only disk. */
export function prepareRefusal(disk: Disk, all: Disk[]): DiskError | null {
  if (disk.role === 'system')
    return new DiskError('system_disk', `${disk.displayName} holds the system (it is mounted at / or /boot/firmware): it is never erased`);
  if (disk.role === 'storage')
    return new DiskError('storage_disk', `${disk.displayName} holds the drive's storage (file system ${DATA_LABEL}): it is never erased from here`);
  const mounted = disk.partitions.find((p) => p.mountpoint !== null);
  if (mounted) return new DiskError('mounted', `${disk.displayName}: ${mounted.path} is mounted at ${mounted.mountpoint}; eject it first`);
  if (disk.readOnly) return new DiskError('read_only', `${disk.displayName} is read-only (a write-protect switch?)`);
  // Two HOMEDRIVE file systems would make the storage mount (LABEL=HOMEDRIVE) pick either one.
  const other = all.find((d) => d.path !== disk.path && d.partitions.some((p) => p.label === DATA_LABEL));
  if (other)
    return new DiskError(
      'label_in_use',
      `${other.displayName} already has a ${DATA_LABEL} file system: two would make the storage mount ambiguous; unplug it before preparing ${disk.displayName}`,
    );
  return null;
}

export interface PrepareResult {
  disk: string;
  partition: string;
  fsType: 'ext4';
  label: string;
}

/**
 * Erases a disk and makes it the drive's storage: one GPT partition, ext4 labelled HOMEDRIVE.
 * `confirm` must be the disk's displayName (whitespace runs count as one space), as the admin reads
 * it in the list: erasing a disk needs the admin to name the one they mean. The udev rule then
 * mounts it at the storage mount point (provisioning/templates/udev-ssd-rules.ts).
 */
export async function prepareDisk(args: unknown, deps: DiskDeps = {}, onProgress: (p: PrepareProgress) => void = () => {}): Promise<PrepareResult> {
  const run = deps.run ?? execRun;
  const { disk: diskPath, confirm } = check(prepareArgsShape(deps.diskPath ?? wholeDiskPath), args);
  const all = await (deps.listDisks ?? (() => listDisks(run)))();
  const disk = all.find((d) => d.path === diskPath);
  if (!disk) throw new DiskError('not_found', `No disk ${diskPath} is connected`);
  const refused = prepareRefusal(disk, all);
  if (refused) throw refused;
  if (normalise(confirm) !== normalise(disk.displayName))
    throw new DiskError('confirm_mismatch', `To erase ${disk.displayName}, type its name exactly: "${disk.displayName}" (got "${confirm.slice(0, 100)}")`);

  const plan = preparePlan(disk);
  const what = `preparing ${disk.displayName}`;
  onProgress({ step: 'wipe', disk: disk.path });
  for (const c of plan.wipe) await must(run, c, what);
  onProgress({ step: 'partition', disk: disk.path });
  await must(run, plan.partitionTable, what);
  // partx makes the kernel's partitions those of the new table. sfdisk asks the kernel to re-read it,
  // but a refused re-read (seen with loop devices) left no partition, or worse, an old /dev/sdX1 of
  // the old size for mkfs to format; partx resizes, removes or adds them, and changes nothing when
  // the re-read worked.
  await must(run, plan.rescan, what);
  // udevadm settle only waits for udev to make the node (and /dev/disk/by-label); without udevd
  // (a container) it fails or returns at once, and the kernel's devtmpfs node is what counts.
  await run(plan.settle.file, plan.settle.args, { timeoutMs: 15_000 });
  if (!(await waitFor(plan.partition, deps.isBlockDevice ?? statBlock, deps.nodeWaitMs ?? 10_000)))
    throw new DiskError('no_partition', `${what}: the new partition ${plan.partition} did not appear (is the disk still connected?)`);
  onProgress({ step: 'format', disk: disk.path });
  await must(run, plan.format, what, 30 * 60_000);
  onProgress({ step: 'done', disk: disk.path });
  return { disk: disk.path, partition: plan.partition, fsType: 'ext4', label: DATA_LABEL };
}

// ---- USB sticks: mount read-only, unmount, eject ----------------------------------------------------

/**
 * The file systems a stick may carry, and the drivers tried in order. The kernel's own first; the
 * FUSE driver when the kernel has none ("unknown filesystem type"): ntfs3 is in Debian's kernels
 * since 6.x, ntfs-3g on others; exfat-fuse for a kernel built without exFAT.
 */
const DRIVERS: Record<string, string[]> = {
  vfat: ['vfat'],
  exfat: ['exfat', 'exfat-fuse'],
  ntfs: ['ntfs3', 'ntfs-3g'],
  ntfs3: ['ntfs3', 'ntfs-3g'],
  ext4: ['ext4'],
};
export const STICK_FS_TYPES = Object.keys(DRIVERS);

/**
 * Read-only and inert: nothing on a stick runs or acts as a device. FAT, exFAT and NTFS have no
 * owners: umask=022 lets the daemon read them. vfat: utf8, or accented names (French) are mangled.
 * ext4: noload, so a dirty journal is not replayed (replaying writes to the stick, even with ro).
 */
export function mountOptions(driver: string): string {
  const base = ['ro', 'nosuid', 'nodev', 'noexec'];
  if (driver === 'vfat') base.push('umask=022', 'utf8');
  else if (driver === 'ext4') base.push('noload');
  else base.push('umask=022');
  return base.join(',');
}

export interface UsbDeps {
  run?: Run;
  listDisks?: () => Promise<Disk[]>;
  /** The path rule for a partition (default: the production rule); the root test passes one for /dev/loopNpM. */
  partitionPath?: DevicePath;
  /** The path rule for a disk to eject (default: /dev/sdX). */
  diskPath?: DevicePath;
  /** Where sticks are mounted (default USB_MOUNT_ROOT). */
  mountRoot?: string;
  /** /sys/block (a temp directory in tests). */
  sysBlock?: string;
  /** A mount point's per-mount flags, null when it is not one (default: /proc/self/mountinfo). */
  mountFlags?: (dir: string) => Promise<string[] | null>;
}

/** The per-mount flags of a mount point from /proc/self/mountinfo (the last mount there wins, as the kernel shows it). */
export async function mountinfoFlags(dir: string): Promise<string[] | null> {
  const info = await fs.readFile('/proc/self/mountinfo', 'utf8');
  let flags: string[] | null = null;
  for (const line of info.split('\n')) {
    const f = line.split(' ');
    // Spaces, tabs, newlines and backslashes in a path are octal escapes (\040).
    const where = (f[4] ?? '').replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (where === dir && f[5]) flags = f[5].split(',');
  }
  return flags;
}

/** What every stick mount must have. */
const INERT = ['ro', 'nosuid', 'nodev', 'noexec'];

async function isMountPoint(dir: string): Promise<boolean> {
  try {
    const [a, b] = await Promise.all([fs.stat(dir), fs.stat(path.dirname(dir))]);
    return a.dev !== b.dev || a.ino === b.ino;
  } catch {
    return false;
  }
}

function findPartition(all: Disk[], partition: string): { disk: Disk; part: Partition } | null {
  for (const disk of all) {
    const part = disk.partitions.find((p) => p.path === partition);
    if (part) return { disk, part };
  }
  return null;
}

export interface MountResult {
  partition: string;
  mountpoint: string;
  fsType: string;
  /** The driver that mounted it (exfat or exfat-fuse…). */
  driver: string;
}

/**
 * Mounts a stick's partition read-only at <mountRoot>/<kernel name>. Only a partition of a disk that
 * is neither the system nor the storage, not mounted already, whose file system is the one lsblk
 * sees (`fsType`, as the list showed it to the admin).
 */
export async function mountReadOnly(partition: string, fsType: string, deps: UsbDeps = {}): Promise<MountResult> {
  const run = deps.run ?? execRun;
  const dev = check(deps.partitionPath ?? partitionPath, partition);
  const drivers = DRIVERS[fsType];
  if (!drivers) throw new DiskError('unsupported_fs', `${dev}: file system "${fsType}" is not supported (supported: ${STICK_FS_TYPES.join(', ')})`);
  const found = findPartition(await (deps.listDisks ?? (() => listDisks(run)))(), dev);
  if (!found) throw new DiskError('not_found', `No partition ${dev} is connected`);
  const { disk, part } = found;
  if (disk.role !== 'other')
    throw new DiskError(`${disk.role}_disk`, `${dev} is on ${disk.displayName}, which holds the ${disk.role === 'system' ? 'system' : "drive's storage"}`);
  if (part.fsType !== fsType && !(fsType === 'ntfs3' && part.fsType === 'ntfs'))
    throw new DiskError('fs_mismatch', `${dev} holds ${part.fsType ?? 'no known file system'}, not ${fsType}`);
  if (part.mountpoint) throw new DiskError('mounted', `${dev} is already mounted at ${part.mountpoint}`);
  const mountpoint = path.join(deps.mountRoot ?? USB_MOUNT_ROOT, path.basename(dev));
  await fs.mkdir(mountpoint, { recursive: true, mode: 0o755 });
  if (await isMountPoint(mountpoint)) throw new DiskError('mounted', `${mountpoint} is already a mount point`);
  let last: RunResult | null = null;
  for (const driver of drivers) {
    last = await run('mount', ['-t', driver, '-o', mountOptions(driver), dev, mountpoint], { timeoutMs: 60_000 });
    if (last.code === 0) {
      await makeInert(run, mountpoint, `${dev} (${disk.displayName})`, deps.mountFlags ?? mountinfoFlags);
      return { partition: dev, mountpoint, fsType, driver };
    }
    if (!/unknown filesystem type/i.test(last.stderr)) break;
  }
  await fs.rmdir(mountpoint).catch(() => {});
  throw new DiskError('mount_failed', `${dev} (${disk.displayName}) could not be mounted read-only: ${firstLine(last!)}`);
}

/**
 * Checks the mount's flags and sets any missing: exfat-fuse (libfuse 2) silently drops noexec, so a
 * FUSE mount comes back executable. A bind remount changes only the per-mount flags. Still missing:
 * unmounted, and an error.
 */
async function makeInert(
  run: Run,
  mountpoint: string,
  what: string,
  flagsOf: (dir: string) => Promise<string[] | null>,
  required: readonly string[] = INERT,
): Promise<void> {
  const missing = async () => {
    const flags = await flagsOf(mountpoint);
    return flags === null ? [...required] : required.filter((f) => !flags.includes(f));
  };
  if ((await missing()).length === 0) return;
  await run('mount', ['-o', `remount,bind,${required.join(',')}`, mountpoint]);
  const still = await missing();
  if (still.length === 0) return;
  await run('umount', [mountpoint]);
  await fs.rmdir(mountpoint).catch(() => {});
  throw new DiskError('mount_failed', `${what} was mounted without ${still.join(', ')} and could not be made so: unmounted`);
}

/** The file systems a stick may be written to (export): those every computer reads. */
export const WRITABLE_FS_TYPES = ['vfat', 'exfat'];

/** Read-write for an export, but still inert: nothing written there runs or acts as a device. flush: vfat writes back early, so the copy's progress is the stick's. */
export function writableMountOptions(driver: string): string {
  const base = ['rw', 'nosuid', 'nodev', 'noexec', 'umask=022'];
  if (driver === 'vfat') base.push('utf8', 'flush');
  return base.join(',');
}

/**
 * Mounts a stick's FAT or exFAT partition read-write at <mountRoot>/<kernel name>, for an export: the
 * same refusals as mountReadOnly (only a partition of a disk that is neither the system nor the storage,
 * not mounted, of the file system the list showed), and nosuid, nodev, noexec checked after the mount.
 */
export async function mountWritable(partition: string, fsType: string, deps: UsbDeps = {}): Promise<MountResult> {
  const run = deps.run ?? execRun;
  const dev = check(deps.partitionPath ?? partitionPath, partition);
  if (!WRITABLE_FS_TYPES.includes(fsType))
    throw new DiskError('unsupported_fs', `${dev}: an export is written only to ${WRITABLE_FS_TYPES.join(' or ')}, not "${fsType}"`);
  const drivers = DRIVERS[fsType]!;
  const found = findPartition(await (deps.listDisks ?? (() => listDisks(run)))(), dev);
  if (!found) throw new DiskError('not_found', `No partition ${dev} is connected`);
  const { disk, part } = found;
  if (disk.role !== 'other')
    throw new DiskError(`${disk.role}_disk`, `${dev} is on ${disk.displayName}, which holds the ${disk.role === 'system' ? 'system' : "drive's storage"}`);
  if (disk.readOnly) throw new DiskError('read_only', `${disk.displayName} is read-only (a write-protect switch?)`);
  if (part.fsType !== fsType) throw new DiskError('fs_mismatch', `${dev} holds ${part.fsType ?? 'no known file system'}, not ${fsType}`);
  if (part.mountpoint) throw new DiskError('mounted', `${dev} is already mounted at ${part.mountpoint}`);
  const mountpoint = path.join(deps.mountRoot ?? USB_MOUNT_ROOT, path.basename(dev));
  await fs.mkdir(mountpoint, { recursive: true, mode: 0o755 });
  if (await isMountPoint(mountpoint)) throw new DiskError('mounted', `${mountpoint} is already a mount point`);
  let last: RunResult | null = null;
  for (const driver of drivers) {
    last = await run('mount', ['-t', driver, '-o', writableMountOptions(driver), dev, mountpoint], { timeoutMs: 60_000 });
    if (last.code === 0) {
      await makeInert(run, mountpoint, `${dev} (${disk.displayName})`, deps.mountFlags ?? mountinfoFlags, ['rw', 'nosuid', 'nodev', 'noexec']);
      return { partition: dev, mountpoint, fsType, driver };
    }
    if (!/unknown filesystem type/i.test(last.stderr)) break;
  }
  await fs.rmdir(mountpoint).catch(() => {});
  throw new DiskError('mount_failed', `${dev} (${disk.displayName}) could not be mounted for writing: ${firstLine(last!)}`);
}

/** Unmounts a stick's partition mounted by mountReadOnly and removes its directory; only under the mount root. */
export async function unmount(partition: string, deps: UsbDeps = {}): Promise<{ partition: string; wasMounted: boolean }> {
  const run = deps.run ?? execRun;
  const dev = check(deps.partitionPath ?? partitionPath, partition);
  const mountpoint = path.join(deps.mountRoot ?? USB_MOUNT_ROOT, path.basename(dev));
  const wasMounted = await isMountPoint(mountpoint);
  if (wasMounted) await must(run, { file: 'umount', args: [mountpoint] }, `unmounting ${dev}`, 120_000);
  await fs.rmdir(mountpoint).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw new DiskError('unmount_failed', `${dev}: ${mountpoint} could not be removed: ${err.message}`);
  });
  return { partition: dev, wasMounted };
}

/**
 * Ejects a USB disk: sync, unmount each of its partitions (only ours, under the mount root: a mount
 * elsewhere is refused, not pulled away from whoever made it), then the SCSI layer deletes the device
 * (writing 1 to /sys/block/<sdX>/device/delete flushes its write cache and stops it). That is what
 * `udisksctl power-off` would do short of cutting USB power, and the appliance has no udisks.
 */
export async function eject(diskArg: string, deps: UsbDeps = {}): Promise<{ disk: string; unmounted: string[] }> {
  const run = deps.run ?? execRun;
  const diskPath = check(deps.diskPath ?? ejectDiskPath, diskArg);
  const all = await (deps.listDisks ?? (() => listDisks(run)))();
  const disk = all.find((d) => d.path === diskPath);
  if (!disk) throw new DiskError('not_found', `No disk ${diskPath} is connected`);
  if (disk.role !== 'other')
    throw new DiskError(
      `${disk.role}_disk`,
      `${disk.displayName} holds the ${disk.role === 'system' ? 'system' : "drive's storage"}: it is not ejected from here`,
    );
  const root = path.resolve(deps.mountRoot ?? USB_MOUNT_ROOT);
  const foreign = disk.partitions.find((p) => p.mountpoint && path.dirname(p.mountpoint) !== root);
  if (foreign) throw new DiskError('mounted', `${disk.displayName}: ${foreign.path} is mounted at ${foreign.mountpoint}, not by the drive; not ejected`);
  await must(run, { file: 'sync', args: [] }, `ejecting ${disk.displayName}`, 120_000);
  const unmounted: string[] = [];
  for (const p of disk.partitions)
    if (p.mountpoint) {
      await must(run, { file: 'umount', args: [p.mountpoint] }, `ejecting ${disk.displayName}`, 120_000);
      await fs.rmdir(p.mountpoint).catch(() => {});
      unmounted.push(p.path);
    }
  const name = path.basename(disk.path);
  try {
    await fs.writeFile(path.join(deps.sysBlock ?? '/sys/block', name, 'device', 'delete'), '1');
  } catch (err) {
    throw new DiskError('eject_failed', `${disk.displayName} was unmounted but could not be stopped: ${(err as Error).message}; it is safe to unplug`);
  }
  return { disk: disk.path, unmounted };
}

// ---- copyTree ------------------------------------------------------------------------------------

export interface CopyProgress {
  bytesCopied: number;
  bytesTotal: number;
  filesCopied: number;
  filesTotal: number;
  /** The file being copied, relative to the source. */
  current: string | null;
}

export interface CopyResult {
  files: number;
  directories: number;
  bytes: number;
  /** What was not copied, relative to the source: symbolic links (never followed) and special files. */
  skipped: { path: string; reason: 'symlink' | 'special' }[];
  /** Names taken already in the destination, and the names used instead (relative paths). */
  renamed: { from: string; to: string }[];
}

export interface CopyOptions {
  /** Owner of everything created (the helper runs as root; the daemon's user must own what it serves). */
  owner?: { uid: number; gid: number };
}

/** "photo.jpg" → "photo (2).jpg"; ".bashrc" and directories keep the suffix at the end. */
export function numbered(name: string, n: number, isDir: boolean): string {
  const dot = name.lastIndexOf('.');
  if (isDir || dot <= 0) return `${name} (${n})`;
  return `${name.slice(0, dot)} (${n})${name.slice(dot)}`;
}

async function scan(dir: string, rel: string, totals: { bytes: number; files: number }): Promise<void> {
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await scan(p, path.join(rel, e.name), totals);
    else if (e.isFile()) {
      totals.files++;
      totals.bytes += (await fs.lstat(p)).size;
    }
  }
}

/**
 * Copies the contents of `src` into the directory `dst` (created if missing), streaming, with byte
 * progress. Symbolic links are neither followed nor copied (a stick's link could point anywhere on
 * the drive's own system): they are reported in `skipped`. Nothing in `dst` is overwritten: each
 * name is created exclusively (O_EXCL, which also refuses a symbolic link planted in its place), and
 * a name taken already gets " (2)", " (3)"… before its extension.
 */
export async function copyTree(src: string, dst: string, onProgress: (p: CopyProgress) => void = () => {}, options: CopyOptions = {}): Promise<CopyResult> {
  const srcStat = await fs.lstat(src);
  if (!srcStat.isDirectory()) throw new DiskError('bad_source', `${src} is not a directory`);
  const rel = path.relative(path.resolve(src), path.resolve(dst));
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) throw new DiskError('bad_destination', `${dst} is inside ${src}`);
  await fs.mkdir(dst, { recursive: true });

  const totals = { bytes: 0, files: 0 };
  await scan(src, '', totals);
  const progress: CopyProgress = { bytesCopied: 0, bytesTotal: totals.bytes, filesCopied: 0, filesTotal: totals.files, current: null };
  const result: CopyResult = { files: 0, directories: 0, bytes: 0, skipped: [], renamed: [] };
  let lastReport = 0;
  const report = (force = false) => {
    const now = Date.now();
    // At most ten reports a second: the callback may cross a socket.
    if (force || now - lastReport >= 100) {
      lastReport = now;
      onProgress({ ...progress });
    }
  };
  const chown = async (p: string) => {
    if (options.owner) await fs.lchown(p, options.owner.uid, options.owner.gid);
  };

  /** Creates `name` in `dir` exclusively, numbering on a clash; returns the name used. */
  async function createExclusive(dir: string, name: string, isDir: boolean, make: (p: string) => Promise<void>): Promise<string> {
    for (let n = 1; n < 10_000; n++) {
      const candidate = n === 1 ? name : numbered(name, n, isDir);
      try {
        await make(path.join(dir, candidate));
        return candidate;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    throw new DiskError('name_clash', `${path.join(dir, name)}: too many files of that name already`);
  }

  async function copyFile(from: string, toDir: string, name: string, relPath: string): Promise<string> {
    // O_NOFOLLOW: the entry was a regular file when listed; if it became a link since, refuse it.
    const input = await fs.open(from, fsc.O_RDONLY | fsc.O_NOFOLLOW);
    let output: fs.FileHandle | null = null;
    let target = '';
    try {
      const st = await input.stat();
      if (!st.isFile()) throw new DiskError('bad_source', `${relPath} is no longer a regular file`);
      const used = await createExclusive(toDir, name, false, async (p) => {
        output = await fs.open(p, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o644);
        target = p;
      });
      progress.current = relPath;
      const out = output as unknown as fs.FileHandle;
      // Streamed through one 1 MiB buffer: a 4 GB video never sits in memory.
      const buf = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const { bytesRead } = await input.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        for (let off = 0; off < bytesRead;) off += (await out.write(buf, off, bytesRead - off)).bytesWritten;
        progress.bytesCopied += bytesRead;
        result.bytes += bytesRead;
        report();
      }
      await out.sync();
      await out.close();
      output = null;
      // Keep the photos' dates: the file manager sorts by them.
      await fs.utimes(target, st.atime, st.mtime);
      await chown(target);
      return used;
    } catch (err) {
      if (output) await (output as fs.FileHandle).close().catch(() => {});
      if (target) await fs.rm(target, { force: true });
      throw err instanceof DiskError ? err : new DiskError('copy_failed', `copying ${relPath}: ${(err as Error).message}`);
    } finally {
      await input.close().catch(() => {});
    }
  }

  async function walk(fromDir: string, toDir: string, relDir: string): Promise<void> {
    const entries = (await fs.readdir(fromDir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const from = path.join(fromDir, e.name);
      const relPath = path.join(relDir, e.name);
      let used: string;
      if (e.isSymbolicLink()) {
        result.skipped.push({ path: relPath, reason: 'symlink' });
        continue;
      } else if (e.isDirectory()) {
        used = await createExclusive(toDir, e.name, true, (p) => fs.mkdir(p, { mode: 0o755 }));
        await chown(path.join(toDir, used));
        result.directories++;
        await walk(from, path.join(toDir, used), relPath);
      } else if (e.isFile()) {
        used = await copyFile(from, toDir, e.name, relPath);
        result.files++;
        progress.filesCopied++;
        report();
      } else {
        result.skipped.push({ path: relPath, reason: 'special' });
        continue;
      }
      if (used !== e.name) result.renamed.push({ from: relPath, to: path.join(relDir, used) });
    }
  }

  await walk(src, dst, '');
  progress.current = null;
  report(true);
  return result;
}
