// Powering off or restarting with a warning first: on a critical battery by itself, or when an admin asks from the console.
// Connected users see the warning as a public notice (GET /api/notice) until it happens.
import type { Notice } from '../api-types.js';
import type { Audit } from '../services/audit.js';
import type { Logger } from '../log.js';
import type { CommandRunner } from './commands.js';
import type { Snapshot } from './snapshot.js';

export type PowerAction = 'poweroff' | 'reboot';

export interface PowerGuardOptions {
  criticalPercent: number;
  warningSeconds: number;
  shutdownCommand: string;
  rebootCommand: string;
  run: CommandRunner;
  log: Logger;
  audit: Audit;
}

export class PowerGuard {
  private pending: { at: number; shutdownAt: number; notice: Notice } | null = null;
  private poweringOff = false;
  /** An admin's power-off or restart, waiting for its time. */
  private planned: { action: PowerAction; timer: NodeJS.Timeout; notice: Notice; by: string } | null = null;
  /** Why the last admin's power action failed (its command's output), until the next one. */
  lastFailure: string | null = null;

  constructor(private readonly o: PowerGuardOptions) {}

  /** The warning for connected users, or null. */
  notice(): Notice | null {
    return this.pending?.notice ?? this.planned?.notice ?? null;
  }

  /**
   * An admin's power-off or restart in `seconds`, with the notice shown meanwhile (replacing one already
   * planned). The audit entry is the caller's; this one records when it happens.
   */
  schedule(action: PowerAction, seconds: number, now: number, by: string): Notice {
    this.cancel();
    this.lastFailure = null;
    const at = now + seconds * 1000;
    const notice: Notice = {
      level: 'critical',
      code: action === 'reboot' ? 'admin_reboot' : 'admin_poweroff',
      message:
        action === 'reboot'
          ? `The administrator restarts the drive in ${seconds} s; it is back about a minute later. Finished uploads are safe; unfinished ones resume or will have to be sent again.`
          : `The administrator switches the drive off in ${seconds} s. Finished uploads are safe; unfinished ones will have to be sent again.`,
      at: new Date(now).toISOString(),
      shutdownAt: new Date(at).toISOString(),
    };
    const timer = setTimeout(() => void this.fire(), seconds * 1000);
    this.planned = { action, timer, notice, by };
    this.o.log.warn(`${action} planned by an administrator: users warned`, { by, inSeconds: seconds });
    return notice;
  }

  /** Calls off an admin's planned power action; whether there was one. */
  cancel(): boolean {
    if (!this.planned) return false;
    clearTimeout(this.planned.timer);
    this.planned = null;
    return true;
  }

  private async fire(): Promise<void> {
    const p = this.planned;
    if (!p) return;
    const command = p.action === 'reboot' ? this.o.rebootCommand : this.o.shutdownCommand;
    this.o.audit.record({ actor: p.by, ip: null, action: 'shutdown', target: 'device', detail: { reason: 'admin', action: p.action } });
    this.o.log.warn(`${p.action} by an administrator: now`, { by: p.by, command });
    const r = await this.o.run(command);
    if (!r.ok) {
      this.planned = null;
      this.lastFailure = `${command}: ${r.output || `exit ${r.code}`}`.slice(0, 500);
      this.o.log.error('power command failed', { command, code: r.code, output: r.output });
    }
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
