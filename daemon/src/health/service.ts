// The health side of one daemon: readers, samples, alerts, the power guard and the scheduled jobs (built by deps.ts).
import type { Config } from '../config.js';
import type { Db } from '../db/connection.js';
import type { JobHealth } from '../jobs/list.js';
import { JobRunner, type Job } from '../jobs/runner.js';
import type { Logger } from '../log.js';
import type { Audit } from '../services/audit.js';
import type { Clock } from '../services/clock.js';
import type { HealthNow, Thresholds } from '../api-types.js';
import { Alerts, DEFAULT_THRESHOLDS, alertJson, evaluate } from './alerts.js';
import { runCommand, type CommandRunner } from './commands.js';
import { PowerGuard } from './power-guard.js';
import { HealthSamples, sampleFromSnapshot } from './samples.js';
import { WifiReader } from './wifi.js';
import { RootHelper } from '../services/root-helper.js';
import { readSnapshot, type Snapshot } from './snapshot.js';
import { realSi, type SiSource } from './system.js';

export interface HealthOptions {
  /** sysfs root: "/sys", or a fixture tree in tests. */
  sysRoot?: string;
  si?: SiSource;
  vcgencmd?: string | null;
  run?: CommandRunner;
  thresholds?: Partial<Thresholds>;
}

/** What the health side needs from the rest of the daemon. */
export interface HealthDeps {
  config: Config;
  db: Db;
  clock: Clock;
  log: Logger;
  audit: Audit;
  storageState: () => 'mounted' | 'missing' | 'local';
}

export class HealthService implements JobHealth {
  readonly samples: HealthSamples;
  readonly alerts: Alerts;
  readonly guard: PowerGuard;
  readonly jobs: JobRunner;
  readonly run: CommandRunner;
  private readonly thresholds: Thresholds;
  private last: Snapshot | null = null;
  private readonly wifi: WifiReader;
  private shutdownTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: HealthDeps,
    jobs: (health: HealthService) => Job[],
    private readonly opts: HealthOptions = {},
  ) {
    const { config, db, clock, log, audit } = deps;
    this.samples = new HealthSamples(db);
    this.alerts = new Alerts(db);
    this.run = opts.run ?? runCommand;
    this.wifi = new WifiReader(new RootHelper(config.helperSocket), () => clock.now());
    this.thresholds = { ...DEFAULT_THRESHOLDS, batteryCriticalPercent: config.batteryCriticalPercent, ...opts.thresholds };
    this.guard = new PowerGuard({
      criticalPercent: this.thresholds.batteryCriticalPercent,
      warningSeconds: config.shutdownWarningSeconds,
      shutdownCommand: config.shutdownCommand,
      rebootCommand: config.rebootCommand,
      run: this.run,
      log: log.child({ component: 'power' }),
      audit,
    });
    this.jobs = new JobRunner(db, clock, log.child({ component: 'jobs' }), jobs(this));
  }

  /** Reads every source now. */
  async read(): Promise<Snapshot> {
    const { config, clock } = this.deps;
    const s = await readSnapshot({
      si: this.opts.si ?? realSi,
      sysRoot: this.opts.sysRoot ?? '/sys',
      vcgencmd: this.opts.vcgencmd === undefined ? 'vcgencmd' : this.opts.vcgencmd,
      battery: config.battery,
      pisugarAddress: config.pisugarAddress,
      dataDir: config.dataDir,
      storageState: this.deps.storageState,
      wifi: () => this.wifi.read(),
      now: () => clock.now(),
    });
    this.last = s;
    return s;
  }

  /** The latest snapshot if it is at most `maxAgeMs` old, else a fresh one. */
  async current(maxAgeMs = 10_000): Promise<Snapshot> {
    const now = this.deps.clock.now();
    if (this.last && now - this.last.at >= 0 && now - this.last.at <= maxAgeMs) return this.last;
    return this.read();
  }

  // ---- what the jobs call (jobs/list.ts) ---------------------------------------------------------

  async sample(): Promise<Record<string, unknown>> {
    const s = await this.read();
    const row = sampleFromSnapshot(s);
    this.samples.add(row);
    const unknown = Object.entries(row)
      .filter(([, v]) => v === null)
      .map(([k]) => k);
    return { at: row.at, unknown: unknown.length };
  }

  rollupAndPrune(): Record<string, unknown> {
    const now = this.deps.clock.now();
    const nowSec = Math.floor(now / 1000);
    const hours = this.samples.rollup(nowSec);
    const pruned = this.samples.prune(nowSec);
    const jobRuns = this.jobs.prune(now);
    return { hours, prunedSamples: pruned.samples, prunedHourly: pruned.hourly, prunedJobRuns: jobRuns };
  }

  async evaluateAlerts(): Promise<Record<string, unknown>> {
    const s = await this.current(45_000);
    const now = this.deps.clock.now();
    const r = this.alerts.sync(evaluate(s, this.thresholds), now);
    const log = this.deps.log.child({ component: 'alerts' });
    for (const a of r.raised) (a.severity === 'critical' ? log.error : log.warn)('alert raised', { key: a.key, severity: a.severity, msg: a.message });
    for (const a of r.changed) log.warn('alert changed', { key: a.key, severity: a.severity, msg: a.message });
    for (const a of r.cleared) log.info('alert cleared', { key: a.key });
    const power = await this.guard.check(s, now);
    if (power === 'warned' && this.shutdownTimer === undefined) {
      // Come back exactly when the warning runs out rather than at the next minute's evaluation.
      this.shutdownTimer = setTimeout(
        () => {
          this.shutdownTimer = undefined;
          void this.read().then(() => this.jobs.run('alerts'));
        },
        this.deps.config.shutdownWarningSeconds * 1000 + 500,
      );
      this.shutdownTimer.unref();
    }
    return { active: this.alerts.active().length, raised: r.raised.length, cleared: r.cleared.length, power };
  }

  async stop(): Promise<void> {
    clearTimeout(this.shutdownTimer);
    this.shutdownTimer = undefined;
    await this.jobs.stop();
  }

  /** GET /api/admin/health: every reading (unknowns explicit), active alerts, jobs. */
  async now() {
    const s = await this.read();
    const { config, clock } = this.deps;
    return {
      ...s,
      at: new Date(s.at).toISOString(),
      clock: { now: new Date(clock.now()).toISOString(), timezoneOffsetMinutes: -new Date(clock.now()).getTimezoneOffset() },
      batterySource: config.battery,
      alerts: this.alerts.active().map(alertJson),
      recentAlerts: this.alerts.recent(10).map(alertJson),
      notice: this.guard.notice(),
      jobs: this.jobs.status(),
      thresholds: this.thresholds,
    } satisfies HealthNow;
  }
}
