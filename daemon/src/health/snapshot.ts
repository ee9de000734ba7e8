// One reading of every source at once: what /api/admin/health shows and what the sampler stores.
import type { BatterySource, DiskIdentity, Filesystem, HealthReadings, StorageState, WifiClients } from '../api-types.js';
import { readBattery } from './battery.js';
import { guard, unknown, unknownLike, type Reading } from './reading.js';
import { readThrottled, readVoltAlarm } from './rpi-power.js';
import { readCpuTemperature, readDiskIdentity, readDiskIo, readFilesystemOf, readLoad, readMemory, type SiSource } from './system.js';

/** The readings of GET /api/admin/health, taken at `at`. */
export interface Snapshot extends HealthReadings {
  /** ms since the epoch, by the daemon's clock. */
  at: number;
}

export interface SnapshotSources {
  si: SiSource;
  sysRoot: string;
  vcgencmd: string | null;
  battery: BatterySource;
  pisugarAddress: string;
  dataDir: string;
  storageState: () => StorageState;
  /** The Wi-Fi's clients (health/wifi.ts: through the root helper). */
  wifi: () => Promise<Reading<WifiClients>>;
  now: () => number;
}

export async function readSnapshot(s: SnapshotSources): Promise<Snapshot> {
  const state = s.storageState();
  const dataFs =
    state === 'missing'
      ? Promise.resolve(unknown<Filesystem>('ssd_not_mounted', { dir: s.dataDir }))
      : guard('filesystem', () => readFilesystemOf(s.si, s.dataDir));
  // Readers run side by side: currentLoad alone waits for its sampling interval.
  const [temperatureC, load, memory, data, root, io, throttled, underVoltageAlarm, battery, wifi] = await Promise.all([
    guard('temperature', () => readCpuTemperature(s.si)),
    guard('load', () => readLoad(s.si)),
    guard('memory', () => readMemory(s.si)),
    dataFs,
    guard('filesystem', () => readFilesystemOf(s.si, '/')),
    guard('disk I/O', () => readDiskIo(s.si)),
    guard('get_throttled', () => readThrottled({ sysRoot: s.sysRoot, vcgencmd: s.vcgencmd })),
    guard('rpi_volt', () => readVoltAlarm({ sysRoot: s.sysRoot })),
    guard('battery', () => readBattery({ source: s.battery, sysRoot: s.sysRoot, pisugarAddress: s.pisugarAddress })),
    guard('wifi', s.wifi),
  ]);
  let ssd: Reading<DiskIdentity>;
  if (state === 'missing') ssd = unknown('ssd_not_mounted', { dir: s.dataDir });
  else if (data.value === null) ssd = unknownLike(data);
  else if (state === 'local' && data.value.mount === '/') ssd = unknown('data_on_root');
  else {
    const mount = data.value.mount;
    ssd = await guard('disk identity', () => readDiskIdentity(s.si, mount));
  }
  return {
    at: s.now(),
    uptimeSeconds: Math.round(s.si.uptime()),
    cpu: { temperatureC, load },
    memory,
    storage: { state, data, root, ssd, io },
    power: { throttled, underVoltageAlarm },
    battery,
    wifi,
  };
}
