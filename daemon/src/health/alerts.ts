// Alert thresholds over a snapshot, and the alerts table: raised once, kept while they hold, cleared when they stop.
import { WIFI_WARN_SHARE } from './wifi.js';
import type { Alert, Severity, Thresholds } from '../api-types.js';
import type { Db } from '../db/connection.js';
import { alertQueries, type AlertQueries, type AlertRow } from '../db/queries/alerts.js';
import type { Snapshot } from './snapshot.js';

export type { AlertRow } from '../db/queries/alerts.js';

export interface AlertCandidate {
  key: string;
  severity: Severity;
  message: string;
  value: number | null;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  // ext4 keeps working past 90 %, but uploads of a classroom's videos fill the rest in minutes.
  diskWarnPercent: 90,
  diskCriticalPercent: 97,
  batteryLowPercent: 20,
  batteryCriticalPercent: 5,
  // The Pi 4 firmware starts soft throttling at 80 °C and caps hard at 85 °C: warn before either.
  cpuWarnC: 75,
  cpuCriticalC: 80,
};

/** What is wrong right now, from one snapshot. Unknown readings raise nothing (and are shown as unknown). */
export function evaluate(s: Snapshot, t: Thresholds = DEFAULT_THRESHOLDS): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  if (s.storage.state === 'missing') {
    out.push({
      key: 'ssd_missing',
      severity: 'critical',
      message: 'The storage SSD is not connected: uploads are refused until it is plugged back.',
      value: null,
    });
  }
  for (const [name, label, fs] of [
    ['data', 'The storage SSD', s.storage.data.value],
    ['root', 'The SD card (system and database)', s.storage.root.value],
  ] as const) {
    if (!fs) continue;
    // The data root on the SD card itself (no SSD, development) is one filesystem: report it once.
    if (name === 'root' && s.storage.data.value?.mount === fs.mount) continue;
    if (fs.usedPercent >= t.diskWarnPercent) {
      out.push({
        key: `disk_full:${name}`,
        severity: fs.usedPercent >= t.diskCriticalPercent ? 'critical' : 'warning',
        message: `${label} is ${fs.usedPercent.toFixed(0)} % full (${formatBytes(fs.availableBytes)} left).`,
        value: fs.usedPercent,
      });
    }
  }
  const bat = s.battery.value;
  const pct = bat?.percent.value ?? null;
  if (bat && pct !== null && pct <= t.batteryLowPercent && bat.charging.value !== true) {
    const critical = pct <= t.batteryCriticalPercent;
    out.push({
      key: 'battery_low',
      severity: critical ? 'critical' : 'warning',
      message: critical
        ? `Battery critical: ${pct.toFixed(0)} %. The drive shuts down to protect the data.`
        : `Battery low: ${pct.toFixed(0)} %. Plug in a charger.`,
      value: pct,
    });
  }
  const th = s.power.throttled.value;
  const alarm = s.power.underVoltageAlarm.value;
  if (th?.now.underVoltage || alarm === true) {
    out.push({
      key: 'under_voltage',
      severity: 'critical',
      message: 'Under-voltage now: the power supply or cable is too weak; the SSD may disconnect.',
      value: null,
    });
  } else if (th?.sinceBoot.underVoltage) {
    out.push({ key: 'under_voltage', severity: 'warning', message: 'Under-voltage happened since boot: the power supply or cable is marginal.', value: null });
  }
  if (th && (th.now.throttled || th.now.armFreqCapped)) {
    out.push({ key: 'throttled', severity: 'warning', message: 'The CPU is throttled by the firmware (heat or power): the drive is slower.', value: th.raw });
  }
  const temp = s.cpu.temperatureC.value;
  if (temp !== null && temp >= t.cpuWarnC) {
    out.push({
      key: 'cpu_hot',
      severity: temp >= t.cpuCriticalC ? 'critical' : 'warning',
      message: `The CPU is at ${temp.toFixed(0)} °C: give the device air or shade.`,
      value: temp,
    });
  }
  const wifi = s.wifi.value;
  if (wifi && wifi.ceiling !== null && wifi.connected >= Math.ceil(wifi.ceiling * WIFI_WARN_SHARE)) {
    const full = wifi.connected >= wifi.ceiling;
    out.push({
      key: 'wifi_clients',
      severity: full ? 'critical' : 'warning',
      message: full
        ? `${wifi.connected} phones on the Wi-Fi, the radio holds about ${wifi.ceiling}: more cannot join (a USB Wi-Fi adapter holds more).`
        : `${wifi.connected} phones on the Wi-Fi, the radio holds about ${wifi.ceiling}: close to full.`,
      value: wifi.connected,
    });
  }
  return out;
}

export const alertJson = (r: AlertRow) =>
  ({
    key: r.key,
    severity: r.severity,
    message: r.message,
    value: r.value,
    raisedAt: new Date(r.raised_at).toISOString(),
    lastSeenAt: new Date(r.last_seen_at).toISOString(),
    clearedAt: r.cleared_at === null ? null : new Date(r.cleared_at).toISOString(),
  }) satisfies Alert;

/** Cleared alerts are kept this long for the record. */
export const ALERT_RETENTION_MS = 90 * 86400_000;

export class Alerts {
  private readonly q: AlertQueries;
  constructor(private readonly db: Db) {
    this.q = alertQueries(db);
  }

  active(): AlertRow[] {
    return this.q.active();
  }

  recent(limit = 20): AlertRow[] {
    return this.q.recent(limit);
  }

  /** Makes the table match `now`: returns what was raised and what cleared, for the log. */
  sync(candidates: AlertCandidate[], at: number): { raised: AlertCandidate[]; cleared: AlertRow[]; changed: AlertCandidate[] } {
    return this.db.transaction(() => {
      const active = new Map(this.active().map((r) => [r.key, r]));
      const raised: AlertCandidate[] = [];
      const changed: AlertCandidate[] = [];
      for (const c of candidates) {
        const row = active.get(c.key);
        active.delete(c.key);
        if (!row) {
          this.q.insert(c, at);
          raised.push(c);
        } else {
          if (row.severity !== c.severity) changed.push(c);
          this.q.update(row.id, c, at);
        }
      }
      for (const row of active.values()) this.q.clear(row.id, at);
      this.q.deleteClearedBefore(at - ALERT_RETENTION_MS);
      return { raised, cleared: [...active.values()], changed };
    })();
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
