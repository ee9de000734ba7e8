// Critical battery: warn connected users through a public notice, then power off cleanly with the configured command.
import type { Notice } from '../api-types.js';
import type { Audit } from '../services/audit.js';
import type { Logger } from '../log.js';
import type { CommandRunner } from './commands.js';
import type { Snapshot } from './snapshot.js';

export interface PowerGuardOptions {
  criticalPercent: number;
  warningSeconds: number;
  shutdownCommand: string;
  run: CommandRunner;
  log: Logger;
  audit: Audit;
}

export class PowerGuard {
  private pending: { at: number; shutdownAt: number; notice: Notice } | null = null;
  private poweringOff = false;

  constructor(private readonly o: PowerGuardOptions) {}

  /** The warning for connected users, or null. */
  notice(): Notice | null {
    return this.pending?.notice ?? null;
  }

  /** Whether the battery is critical: a known charge at or below the threshold, and not charging. */
  isCritical(s: Snapshot): boolean {
    const b = s.battery.value;
    const pct = b?.percent.value ?? null;
    if (!b || pct === null) return false;
    // Unknown charging state counts as not charging: running flat would cost more than a needless power-off.
    return pct <= this.o.criticalPercent && b.charging.value !== true && b.pluggedIn.value !== true;
  }

  /** Called after each evaluation; returns what it did. */
  async check(s: Snapshot, now: number): Promise<'none' | 'warned' | 'waiting' | 'cancelled' | 'shutdown' | 'shutdown_failed'> {
    if (!this.isCritical(s)) {
      if (!this.pending) return 'none';
      this.o.log.info('battery recovered: shutdown cancelled', { percent: s.battery.value?.percent.value });
      this.pending = null;
      return 'cancelled';
    }
    const pct = s.battery.value?.percent.value;
    if (!this.pending) {
      const shutdownAt = now + this.o.warningSeconds * 1000;
      this.pending = {
        at: now,
        shutdownAt,
        notice: {
          level: 'critical',
          code: 'battery_critical_shutdown',
          message: `The battery is almost empty (${pct} %): the drive will switch off in ${this.o.warningSeconds} s to protect your files. Finished uploads are safe; unfinished ones will have to be sent again.`,
          at: new Date(now).toISOString(),
          shutdownAt: new Date(shutdownAt).toISOString(),
        },
      };
      this.o.log.warn('battery critical: users warned, power-off scheduled', { percent: pct, inSeconds: this.o.warningSeconds });
      if (this.o.warningSeconds > 0) return 'warned';
    }
    if (now < this.pending.shutdownAt) return 'waiting';
    if (this.poweringOff) return 'shutdown';
    this.poweringOff = true;
    this.o.audit.record({ actor: null, ip: null, action: 'shutdown', target: 'device', detail: { reason: 'battery_critical', percent: pct } });
    this.o.log.warn('battery critical: powering off', { percent: pct, command: this.o.shutdownCommand });
    const r = await this.o.run(this.o.shutdownCommand);
    if (!r.ok) {
      // Tried again at the next evaluation: a transient D-Bus failure must not leave the device to die.
      this.poweringOff = false;
      this.o.log.error('power-off command failed', { command: this.o.shutdownCommand, code: r.code, output: r.output });
      return 'shutdown_failed';
    }
    return 'shutdown';
  }
}
