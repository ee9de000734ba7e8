// Health test fixtures: a fake sysfs tree, a fake systeminformation, a fake PiSugar server on loopback.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { SiSource } from '../../../daemon/src/health/system.js';

/** Writes `files` (relative path → content) under a new temp dir standing for /sys. */
export function fakeSys(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-sys-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  return root;
}

/** A Raspberry Pi 4 as sysfs shows it: firmware get_throttled and the rpi_volt hwmon. */
export const PI_SYS = (throttled: string, lcrit = '0'): Record<string, string> => ({
  'devices/platform/soc/soc:firmware/get_throttled': `${throttled}\n`,
  'class/hwmon/hwmon0/name': 'cpu_thermal\n',
  'class/hwmon/hwmon1/name': 'rpi_volt\n',
  'class/hwmon/hwmon1/in0_lcrit_alarm': `${lcrit}\n`,
});

type Data = Omit<SiSource, 'statfs'>;
type Patch = { [K in keyof Data]?: Awaited<ReturnType<Data[K]>> };

/** A systeminformation double: a Pi with a USB SSD (sda1 at dataMount) and an SD card root. */
export function fakeSi(dataMount: string, patch: Patch = {}): SiSource {
  const base: { [K in keyof Data]: Awaited<ReturnType<Data[K]>> } = {
    cpuTemperature: { main: 52.345 },
    currentLoad: { currentLoad: 12.34 },
    mem: { total: 4_000_000_000, available: 3_000_000_000, used: 1_500_000_000, swaptotal: 100, swapused: 0 },
    fsSize: [
      { fs: '/dev/mmcblk0p2', type: 'ext4', size: 30e9, used: 6e9, available: 22e9, mount: '/' },
      { fs: '/dev/mmcblk0p1', type: 'vfat', size: 5e8, used: 1e8, available: 4e8, mount: '/boot/firmware' },
      { fs: '/dev/sda1', type: 'ext4', size: 1e12, used: 2.5e11, available: 7.5e11, mount: dataMount },
    ],
    blockDevices: [
      { name: 'mmcblk0', type: 'disk', mount: '', model: '', serial: '', removable: false, protocol: 'sd' },
      { name: 'mmcblk0p2', type: 'part', mount: '/', model: '', serial: '', removable: false, protocol: 'sd' },
      { name: 'sda', type: 'disk', mount: '', model: 'Samsung SSD T7', serial: 'S5SXNS0R123456', removable: false, protocol: 'usb' },
      { name: 'sda1', type: 'part', mount: dataMount, model: '', serial: '', removable: false, protocol: 'usb' },
    ],
    diskLayout: [{ device: '/dev/sda', name: 'PSSD T7', vendor: 'Samsung', serialNum: 'S5SXNS0R123456', interfaceType: 'USB', size: 1e12 }],
    disksIO: { rIO_sec: 1.234, wIO_sec: 5.678, rIO: 100, wIO: 200 },
    loadavg: [0.5, 0.25, 0.125],
    cores: 4,
    uptime: 3600.4,
  };
  const v = { ...base, ...patch };
  return {
    cpuTemperature: async () => v.cpuTemperature,
    currentLoad: async () => v.currentLoad,
    mem: async () => v.mem,
    fsSize: async () => v.fsSize,
    // statfs as the kernel would answer for the fixture's filesystems (1-byte blocks, size - used free).
    statfs: async (dir) => {
      const f = [...v.fsSize].sort((a, b) => b.mount.length - a.mount.length).find((x) => x.mount === '/' || dir === x.mount || dir.startsWith(`${x.mount}/`));
      if (!f) throw new Error(`ENOENT: no such file or directory, statfs '${dir}'`);
      return { bsize: 1, blocks: f.size, bfree: f.size - f.used, bavail: f.available };
    },
    blockDevices: async () => v.blockDevices,
    diskLayout: async () => v.diskLayout,
    disksIO: async () => v.disksIO,
    loadavg: () => v.loadavg,
    cores: () => v.cores,
    uptime: () => v.uptime,
  };
}

/**
 * A PiSugar server double speaking the line protocol of pisugar-server (one "get x" per line,
 * answered "x: value"). `answers` maps a command to its answer line(s); `before` lines are pushed
 * first, like the button events the real server interleaves.
 */
export async function fakePiSugar(
  answers: Record<string, string>,
  opts: { before?: string[] } = {},
): Promise<{ address: string; received: string[]; close(): Promise<void> }> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    let buf = '';
    sock.setEncoding('utf8');
    for (const l of opts.before ?? []) sock.write(`${l}\n`);
    sock.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const req = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        received.push(req);
        const a = answers[req];
        if (a !== undefined) sock.write(`${a}\n`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** An in-process app (in-memory DB, manual clock) whose health side reads fixtures instead of this machine. */
export async function healthApp(opts: { env?: Record<string, string>; sys?: Record<string, string>; si?: (dataDir: string) => SiSource } = {}) {
  const { makeApp, ManualClock } = await import('../../helpers/app.js');
  const clock = new ManualClock();
  const sysRoot = fakeSys(opts.sys ?? PI_SYS('0'));
  const si = opts.si ?? ((d: string) => fakeSi(d));
  const t = await makeApp({ clock, env: opts.env, deps: ({ dataDir }) => ({ health: { sysRoot, vcgencmd: null, si: si(dataDir) } }) });
  const health = t.deps.health;
  return {
    ...t,
    clock,
    health,
    sysRoot,
    async close() {
      await health.stop();
      t.close();
      fs.rmSync(sysRoot, { recursive: true, force: true });
    },
  };
}
