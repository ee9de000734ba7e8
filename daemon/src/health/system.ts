// Readers over systeminformation and /proc: CPU temperature, load, memory, the data and root filesystems, the SSD's identity, disk I/O.
import os from 'node:os';
import fsp from 'node:fs/promises';
import path from 'node:path';
import si from 'systeminformation';
import type { DiskIdentity, DiskIo, Filesystem, Load, Memory } from '../api-types.js';
import { diskSpaceOf, type StatFsLike } from '../storage/disk-space.js';
import { known, unknown, type Reading } from './reading.js';

/** The part of systeminformation the readers use: the real module fits it, tests pass fixtures. */
export interface SiSource {
  cpuTemperature(): Promise<{ main: number | null }>;
  currentLoad(): Promise<{ currentLoad: number }>;
  mem(): Promise<{ total: number; available: number; used: number; swaptotal: number; swapused: number }>;
  fsSize(): Promise<Array<{ fs: string; type: string; size: number; used: number; available: number; mount: string }>>;
  /** The figures of the filesystem holding a folder: the same statfs as the storage report's. */
  statfs(dir: string): Promise<StatFsLike>;
  blockDevices(): Promise<Array<{ name: string; type: string; mount: string; model: string; serial: string; removable: boolean; protocol: string }>>;
  diskLayout(): Promise<Array<{ device: string; name: string; vendor: string; serialNum: string; interfaceType: string; size: number }>>;
  disksIO(): Promise<{ rIO_sec: number | null; wIO_sec: number | null; rIO: number; wIO: number } | null>;
  loadavg(): number[];
  cores(): number;
  uptime(): number;
}

/**
 * CPU temperature, CPU % and the mounted filesystems read from /proc and /sys without blocking.
 * systeminformation's own cpuTemperature, currentLoad and fsSize each start a shell with execSync
 * (`cat /proc/stat | grep cpu`, `cat /proc/mounts`, a loop over the thermal zones): the daemon's one
 * thread stood still for it at every health sample, 15-300 ms here and longer on a Pi (issue 16,
 * found with --cpu-prof). `root`: where /proc and /sys are (tests give a fake tree).
 */
export function procReaders(root = '/'): Pick<SiSource, 'cpuTemperature' | 'currentLoad' | 'fsSize'> {
  const proc = path.join(root, 'proc');
  const thermal = path.join(root, 'sys/class/thermal');
  let last: { busy: number; total: number } | null = null;
  const text = (f: string) =>
    fsp.readFile(f, 'utf8').then(
      (t) => t.trim(),
      () => null,
    );
  return {
    // The thermal zone of the CPU (a Pi's is "cpu-thermal"), or the first one; null without any.
    async cpuTemperature() {
      const zones = (await fsp.readdir(thermal).catch(() => [] as string[])).filter((z) => z.startsWith('thermal_zone')).sort();
      const read = await Promise.all(
        zones.map(async (z) => ({ type: await text(path.join(thermal, z, 'type')), temp: Number(await text(path.join(thermal, z, 'temp'))) })),
      );
      const ok = read.filter((z) => z.type !== null && Number.isFinite(z.temp) && z.temp !== 0);
      const zone = ok.find((z) => /cpu|soc|x86_pkg|coretemp|k10temp/i.test(z.type!)) ?? ok[0];
      return { main: zone ? zone.temp / 1000 : null };
    },
    // The share of CPU time not idle since the previous reading (since boot for the first one).
    async currentLoad() {
      const line = (await text(path.join(proc, 'stat')))?.split('\n').find((l) => l.startsWith('cpu '));
      if (!line) throw new Error(`no "cpu" line in ${proc}/stat`);
      const [user, nice, system, idle, iowait, irq, softirq, steal] = line
        .trim()
        .split(/\s+/)
        .slice(1, 9)
        .map((v) => Number(v) || 0);
      const total = user! + nice! + system! + idle! + iowait! + irq! + softirq! + steal!;
      const now = { busy: total - idle! - iowait!, total };
      const d = last && now.total > last.total ? { busy: now.busy - last.busy, total: now.total - last.total } : now;
      last = now;
      return { currentLoad: d.total > 0 ? (100 * d.busy) / d.total : 0 };
    },
    // Every mounted block device's filesystem with its size (squashfs left out, as `df -x squashfs`).
    async fsSize() {
      const lines = (await text(path.join(proc, 'mounts')))?.split('\n') ?? [];
      const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      // Block devices only (tmpfs and the kernel's own are not disks), as systeminformation listed them.
      const mounts = lines.map((l) => l.split(' ')).filter((f) => f.length >= 3 && f[0]!.startsWith('/') && f[2] !== 'squashfs');
      const sized = await Promise.all(
        mounts.map(async ([dev, escaped, type]) => {
          const mount = unescape(escaped!);
          const st = await fsp.statfs(mount).catch(() => null);
          if (!st || st.blocks === 0) return null;
          const space = diskSpaceOf(st);
          return { fs: unescape(dev!), type: type!, size: space.sizeBytes, used: space.usedBytes, available: space.availableBytes, mount };
        }),
      );
      return sized.filter((m) => m !== null);
    },
  };
}

const proc = procReaders();

export const realSi: SiSource = {
  cpuTemperature: proc.cpuTemperature,
  currentLoad: proc.currentLoad,
  mem: () => si.mem(),
  fsSize: proc.fsSize,
  statfs: (dir) => fsp.statfs(dir),
  blockDevices: () => si.blockDevices(),
  diskLayout: () => si.diskLayout(),
  disksIO: () => si.disksIO(),
  loadavg: () => os.loadavg(),
  cores: () => os.cpus().length,
  uptime: () => os.uptime(),
};

export async function readCpuTemperature(src: SiSource): Promise<Reading<number>> {
  const t = await src.cpuTemperature();
  // systeminformation reports null (or -1 on some paths) when no thermal zone or sensors chip exists.
  if (t.main === null || !Number.isFinite(t.main) || t.main <= -1) return unknown('no_cpu_sensor');
  return known(round(t.main, 1));
}

export async function readLoad(src: SiSource): Promise<Reading<Load>> {
  const [l1, l5, l15] = src.loadavg();
  const cur = await src.currentLoad();
  if (l1 === undefined || l5 === undefined || l15 === undefined) return unknown('no_load');
  return known({ load1: round(l1, 2), load5: round(l5, 2), load15: round(l15, 2), cores: src.cores(), cpuPercent: round(cur.currentLoad, 1) });
}

export async function readMemory(src: SiSource): Promise<Reading<Memory>> {
  const m = await src.mem();
  if (!(m.total > 0)) return unknown('no_memory_size');
  // "available" (MemAvailable) rather than "free": the page cache is given back on demand.
  return known({
    totalBytes: m.total,
    availableBytes: m.available,
    usedPercent: round(((m.total - m.available) / m.total) * 100, 1),
    swapTotalBytes: m.swaptotal,
    swapUsedBytes: m.swapused,
  });
}

/** The filesystem holding `dir`: the longest mount point that contains it. */
export async function readFilesystemOf(src: SiSource, dir: string): Promise<Reading<Filesystem>> {
  const list = await src.fsSize();
  let best: (typeof list)[number] | undefined;
  for (const f of list) {
    if (!contains(f.mount, dir)) continue;
    if (!best || f.mount.length > best.mount.length) best = f;
  }
  if (!best) return unknown('no_filesystem', { dir });
  // systeminformation names the filesystem; its figures come from statfs with the storage report's
  // meaning (df's are rounded to KiB, and the two pages must agree to the byte).
  const space = diskSpaceOf(await src.statfs(dir));
  if (!(space.sizeBytes > 0)) return unknown('no_size', { mount: best.mount });
  return known({ mount: best.mount, device: best.fs, type: best.type, ...space });
}

/** The whole disk behind a partition name: sda1 → sda, nvme0n1p2 → nvme0n1, mmcblk0p2 → mmcblk0. */
export function parentDisk(name: string): string {
  const m = /^((?:nvme\d+n\d+)|(?:mmcblk\d+)|(?:loop\d+))p?\d*$/.exec(name);
  if (m) return m[1]!;
  return name.replace(/\d+$/, '');
}

/** Model and serial of the disk whose partition is mounted at `mount` (the SSD under the data root). */
export async function readDiskIdentity(src: SiSource, mount: string): Promise<Reading<DiskIdentity>> {
  const devs = await src.blockDevices();
  const part = devs.find((d) => d.mount === mount);
  if (!part) return unknown('no_block_device', { mount });
  const diskName = part.type === 'disk' || part.type === 'loop' ? part.name : parentDisk(part.name);
  const disk = devs.find((d) => d.name === diskName) ?? part;
  const layout = (await src.diskLayout()).find((d) => d.device === `/dev/${diskName}`);
  const model = clean(layout?.name) ?? clean(disk.model);
  const serial = clean(layout?.serialNum) ?? clean(disk.serial);
  if (model === null && serial === null) return unknown('no_disk_identity', { device: `/dev/${diskName}` });
  return known({
    device: `/dev/${diskName}`,
    model,
    serial,
    vendor: clean(layout?.vendor),
    interface: clean(layout?.interfaceType) ?? clean(disk.protocol),
    sizeBytes: layout?.size ?? null,
  });
}

/** Operations per second since the previous call (systeminformation keeps the last counters). */
export async function readDiskIo(src: SiSource): Promise<Reading<DiskIo>> {
  const io = await src.disksIO();
  if (!io) return unknown('no_io_stats');
  // The first call has no previous counters to diff against, hence no rate yet.
  if (io.rIO_sec === null || io.wIO_sec === null) return unknown('io_first_reading');
  return known({ readOpsPerSec: round(io.rIO_sec, 2), writeOpsPerSec: round(io.wIO_sec, 2), readOpsTotal: io.rIO, writeOpsTotal: io.wIO });
}

function clean(s: string | undefined | null): string | null {
  const t = s?.trim();
  return t ? t : null;
}

function contains(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
