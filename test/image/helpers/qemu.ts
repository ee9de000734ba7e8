// Boots a disk image under qemu-system-aarch64 (virt machine, the image's own kernel and initrd) and watches its serial console.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import path from 'node:path';

export interface BootOptions {
  image: string;
  kernel: string;
  initrd: string;
  /** The image's own cmdline.txt; its Pi consoles are replaced by the virt machine's PL011 UART. */
  cmdline: string;
  /** A second virtio disk: the data SSD. */
  ssd?: string;
  /** Raw disk images plugged in as USB mass storage (an xHCI controller, usb-storage): the guest sees /dev/sdX, as a Pi sees its USB disks. */
  usbDisks?: string[];
  workDir: string;
  name: string;
}

export interface Vm {
  port: number;
  serialLog: string;
  startedAt: number;
  serial(): string;
  exited: Promise<number | null>;
  /** ACPI-less power button (virt's gpio-keys) → systemd-logind → poweroff; kills QEMU if that takes too long. */
  shutdown(timeoutMs?: number): Promise<'powerdown' | 'killed'>;
  kill(): void;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function qemuCmdline(cmdline: string): string {
  const kept = cmdline
    .trim()
    .split(/\s+/)
    .filter((a) => !a.startsWith('console='));
  return [...kept, 'console=ttyAMA0'].join(' ');
}

/** QEMU arguments for USB disks: one xHCI controller, one usb-storage device per image, each with a serial number (lsblk's SERIAL). */
export function usbArgs(images: string[]): string[] {
  if (images.length === 0) return [];
  return [
    '-device',
    'qemu-xhci,id=xhci',
    ...images.flatMap((file, i) => [
      '-drive',
      `if=none,id=usb${i},file=${file},format=raw,cache=unsafe`,
      '-device',
      `usb-storage,bus=xhci.0,drive=usb${i},serial=HCDUSB${i}`,
    ]),
  ];
}

export async function boot(opts: BootOptions): Promise<Vm> {
  const port = await freePort();
  const serialLog = path.join(opts.workDir, `${opts.name}.serial.log`);
  const monitor = path.join(opts.workDir, `${opts.name}.monitor.sock`);
  closeSync(openSync(serialLog, 'w'));
  const args = [
    '-M',
    'virt',
    '-cpu',
    'cortex-a72',
    '-smp',
    '2',
    '-m',
    '1024',
    // Software emulation (arm64 guest on an x86-64 host): one host thread per guest CPU.
    '-accel',
    'tcg,thread=multi',
    '-kernel',
    opts.kernel,
    '-initrd',
    opts.initrd,
    '-append',
    qemuCmdline(opts.cmdline),
    '-drive',
    `if=none,id=sd,file=${opts.image},format=raw,cache=unsafe`,
    '-device',
    'virtio-blk-pci,drive=sd',
    ...(opts.ssd ? ['-drive', `if=none,id=ssd,file=${opts.ssd},format=raw,cache=unsafe`, '-device', 'virtio-blk-pci,drive=ssd'] : []),
    ...usbArgs(opts.usbDisks ?? []),
    // restrict=on: the guest reaches nothing outside; only the forwarded port comes in.
    '-netdev',
    `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${port}-:80`,
    // romfile=: no PXE option ROM (package ipxe-qemu) is needed, the kernel is loaded directly.
    '-device',
    'virtio-net-pci,netdev=n0,romfile=',
    '-display',
    'none',
    '-serial',
    `file:${serialLog}`,
    '-monitor',
    `unix:${monitor},server,nowait`,
    '-no-reboot',
  ];
  const proc: ChildProcess = spawn('nice', ['-n', '10', 'qemu-system-aarch64', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  void exited.then((code) => {
    if (code !== 0 && stderr) process.stderr.write(`qemu (${opts.name}) exited ${code}: ${stderr}\n`);
  });
  const serial = () => readFileSync(serialLog, 'utf8');
  // QEMU's human monitor: write one command, give it a moment, hang up (a timer keeps the event loop alive meanwhile).
  const hmp = (command: string) =>
    new Promise<void>((resolve) => {
      const s = createConnection(monitor);
      let settled = false;
      const done = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        s.destroy();
        resolve();
      };
      const timer = setTimeout(done, 5000);
      s.on('connect', () => s.write(`${command}\n`, () => setTimeout(done, 500)));
      s.on('error', done);
      s.on('close', done);
    });
  return {
    port,
    serialLog,
    startedAt: Date.now(),
    serial,
    exited,
    kill: () => proc.kill('SIGKILL'),
    async shutdown(timeoutMs = 120_000) {
      if (proc.exitCode !== null) return 'powerdown';
      await hmp('system_powerdown');
      const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs))]);
      if (done) return 'powerdown';
      proc.kill('SIGKILL');
      await exited;
      return 'killed';
    },
  };
}

/** Thrown by a waitFor probe to stop waiting at once (a crash loop, QEMU gone). */
export class StopWaiting extends Error {}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((error: unknown) => {
      if (error instanceof StopWaiting) throw error;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The last HCDREPORT line the test's report unit printed on the console, as key=value pairs. */
export function lastReport(serial: string): Record<string, string> | undefined {
  const lines = serial.split(/\r?\n/).filter((l) => l.includes('HCDREPORT '));
  const last = lines.at(-1);
  if (!last) return undefined;
  const fields: Record<string, string> = {};
  for (const m of last.slice(last.indexOf('HCDREPORT ') + 10).matchAll(/(\w+)=(\S*)/g)) fields[m[1] as string] = m[2] ?? '';
  return fields;
}
