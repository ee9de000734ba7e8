// The shapes of /api/admin/health and its history, as daemon/src/health/service.ts and samples.ts send them.
export type Reading<T> = { value: T; reason?: undefined } | { value: null; reason: string };

export interface Load { load1: number; load5: number; load15: number; cores: number; cpuPercent: number }
export interface Memory { totalBytes: number; availableBytes: number; usedPercent: number; swapTotalBytes: number; swapUsedBytes: number }
export interface Filesystem { mount: string; device: string; type: string; sizeBytes: number; usedBytes: number; availableBytes: number; usedPercent: number }
export interface DiskIdentity { device: string; model: string | null; serial: string | null; vendor: string | null; interface: string | null; sizeBytes: number | null }
export interface DiskIo { readOpsPerSec: number; writeOpsPerSec: number; readOpsTotal: number; writeOpsTotal: number }
export interface ThrottleFlags { underVoltage: boolean; armFreqCapped: boolean; throttled: boolean; softTempLimit: boolean }
export interface Throttled { raw: number; now: ThrottleFlags; sinceBoot: ThrottleFlags; source: 'sysfs' | 'vcgencmd' }
export interface Battery {
  source: string;
  device: string;
  percent: Reading<number>;
  charging: Reading<boolean>;
  pluggedIn: Reading<boolean>;
  voltageV: Reading<number>;
  currentA: Reading<number>;
}

export interface Alert {
  key: string;
  severity: 'warning' | 'critical';
  message: string;
  value: number | null;
  raisedAt: string;
  lastSeenAt: string;
  clearedAt: string | null;
}

export interface Notice { level: 'critical'; code: string; message: string; at: string; shutdownAt: string }

export interface JobStatus {
  name: string;
  description: string;
  schedule: string;
  running: boolean;
  nextRunAt: string | null;
  lastRun: {
    startedAt: string;
    finishedAt: string | null;
    outcome: 'ok' | 'failed' | null;
    durationMs: number | null;
    trigger: string | null;
    error: string | null;
    summary: unknown;
  } | null;
  lastSuccessAt: string | null;
  runs: number;
  failures: number;
}

export interface HealthNow {
  at: string;
  uptimeSeconds: number;
  cpu: { temperatureC: Reading<number>; load: Reading<Load> };
  memory: Reading<Memory>;
  storage: { state: 'mounted' | 'missing' | 'local'; data: Reading<Filesystem>; root: Reading<Filesystem>; ssd: Reading<DiskIdentity>; io: Reading<DiskIo> };
  power: { throttled: Reading<Throttled>; underVoltageAlarm: Reading<boolean> };
  battery: Reading<Battery>;
  clock: { now: string; timezoneOffsetMinutes: number };
  batterySource: string;
  alerts: Alert[];
  recentAlerts: Alert[];
  notice: Notice | null;
  jobs: JobStatus[];
  thresholds: { diskWarnPercent: number; diskCriticalPercent: number; batteryLowPercent: number; batteryCriticalPercent: number; cpuWarnC: number; cpuCriticalC: number };
}

export type Metric =
  | 'cpu_temp' | 'load1' | 'cpu_pct' | 'mem_pct' | 'data_pct' | 'data_free' | 'root_pct' | 'root_free'
  | 'ssd_present' | 'battery_pct' | 'battery_v' | 'charging' | 'under_voltage' | 'throttled' | 'io_r' | 'io_w';

export interface History {
  range: '24h' | '7d';
  step: number;
  metrics: Metric[];
  t: number[];
  series: Partial<Record<Metric, (number | null)[]>>;
  min?: Partial<Record<Metric, (number | null)[]>>;
  max?: Partial<Record<Metric, (number | null)[]>>;
}
