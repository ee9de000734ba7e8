// Alert thresholds over a snapshot, and the alerts table: raised once, kept while they hold, cleared when they stop.
import type { Alert, Severity, Thresholds } from '../api-types.js';
import type { Db } from '../db/connection.js';
import type { Snapshot } from './snapshot.js';

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
    out.push({ key: 'ssd_missing', severity: 'critical', message: 'The storage SSD is not connected: uploads are refused until it is plugged back.', value: null });
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
      message: critical ? `Battery critical: ${pct.toFixed(0)} %. The drive shuts down to protect the data.` : `Battery low: ${pct.toFixed(0)} %. Plug in a charger.`,
      value: pct,
    });
  }
  const th = s.power.throttled.value;
  const alarm = s.power.underVoltageAlarm.value;
  if (th?.now.underVoltage || alarm === true) {
    out.push({ key: 'under_voltage', severity: 'critical', message: 'Under-voltage now: the power supply or cable is too weak; the SSD may disconnect.', value: null });
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
  return out;
}

export interface AlertRow {
  id: number;
  key: string;
  severity: Severity;
  message: string;
  value: number | null;
  raised_at: number;
  last_seen_at: number;
  cleared_at: number | null;
}

export const alertJson = (r: AlertRow) => ({
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
  constructor(private readonly db: Db) {}

  active(): AlertRow[] {
    return this.db.prepare("SELECT * FROM alerts WHERE cleared_at IS NULL ORDER BY CASE severity WHEN 'critical' THEN 0 ELSE 1 END, raised_at").all() as AlertRow[];
  }

  recent(limit = 20): AlertRow[] {
    return this.db.prepare('SELECT * FROM alerts WHERE cleared_at IS NOT NULL ORDER BY cleared_at DESC LIMIT ?').all(limit) as AlertRow[];
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
          this.db.prepare('INSERT INTO alerts (key, severity, message, value, raised_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)').run(c.key, c.severity, c.message, c.value, at, at);
          raised.push(c);
        } else {
          if (row.severity !== c.severity) changed.push(c);
          this.db.prepare('UPDATE alerts SET severity = ?, message = ?, value = ?, last_seen_at = ? WHERE id = ?').run(c.severity, c.message, c.value, at, row.id);
        }
      }
      for (const row of active.values()) this.db.prepare('UPDATE alerts SET cleared_at = ? WHERE id = ?').run(at, row.id);
      this.db.prepare('DELETE FROM alerts WHERE cleared_at IS NOT NULL AND cleared_at < ?').run(at - ALERT_RETENTION_MS);
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
