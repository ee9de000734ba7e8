// Device settings changed from the admin console (issue 17 item 2): the Wi-Fi's name, passphrase,
// country, band and channel, the hostname and the time zone.
//
// The root helper validates a change against provisioning's own schema and records it, with the
// configuration it replaces, in SETTINGS_STATE_DIR (root only). It then starts this program twice
// through systemd, as transient units that outlive the helper's one-request process:
//   `settings.js apply`  now: writes the base configuration and re-runs the provisioning steps that
//                        read those keys over / (the same steps as first boot), restarting what changed;
//   `settings.js revert` after the confirmation delay (a timer): unless the admin confirmed from the
//                        new network, the previous configuration comes back the same way.
// Like a display-resolution change: a typo in the passphrase never locks everyone out.
import { execFile } from 'node:child_process';
import { readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { validateConfig, type Config, type ConfigProblem } from './config.js';
import { BASE_CONFIG_FILE, SETTINGS_STATE_DIR } from './contract.js';
import { writeJsonAtomic } from './lib/json-file.js';
import { restartChangedUnits, runSteps } from './lib/run.js';
import { Target } from './lib/target.js';
import { FIRSTBOOT_STEPS } from './steps/index.js';

/** Seconds the admin has to confirm from the new network; the console's default and its bounds. */
export const REVERT_DEFAULT_SECONDS = 120;
export const REVERT_MIN_SECONDS = 30;
export const REVERT_MAX_SECONDS = 600;

/** What an admin may change. Types only: the values are checked by provisioning's schema once merged. */
export const settingsChange = z.strictObject({
  hostname: z.string().max(253).optional(),
  timezone: z.string().max(64).optional(),
  wifi: z
    .strictObject({
      ssid: z.string().max(128).optional(),
      /** null or "": an open network. */
      passphrase: z.string().max(128).nullable().optional(),
      country: z.string().max(8).optional(),
      band: z.string().max(16).optional(),
      /** null: the band's default channel. */
      channel: z.number().int().nullable().optional(),
    })
    .optional(),
});
export type SettingsChange = z.infer<typeof settingsChange>;

/** The keys a change can touch, as named in the console and in the audit. */
export const SETTING_KEYS = ['hostname', 'timezone', 'wifi.ssid', 'wifi.passphrase', 'wifi.country', 'wifi.band', 'wifi.channel'] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

/** The settings as the console shows them. */
export interface SettingsView {
  hostname: string;
  timezone: string;
  wifi: { ssid: string; passphrase: string | null; country: string; band: string; channel: number | null; interface: string };
}

export function settingsView(config: Config): SettingsView {
  const { wifi } = config;
  return {
    hostname: config.hostname,
    timezone: config.timezone,
    wifi: { ssid: wifi.ssid, passphrase: wifi.passphrase, country: wifi.country, band: wifi.band, channel: wifi.channel ?? null, interface: wifi.interface },
  };
}

type Raw = Record<string, unknown> & { wifi?: Record<string, unknown> };

/** The base configuration with the change laid over it (not yet validated). */
export function mergeChange(base: Config, change: SettingsChange): Raw {
  const raw = structuredClone(base) as unknown as Raw;
  if (change.hostname !== undefined) raw['hostname'] = change.hostname.trim().toLowerCase();
  if (change.timezone !== undefined) raw['timezone'] = change.timezone.trim();
  const w = change.wifi;
  if (w) {
    const wifi = (raw.wifi ??= {});
    if (w.ssid !== undefined) wifi['ssid'] = w.ssid;
    if (w.passphrase !== undefined) wifi['passphrase'] = w.passphrase;
    if (w.country !== undefined) wifi['country'] = w.country;
    if (w.band !== undefined) wifi['band'] = w.band;
    if (w.channel === null) delete wifi['channel'];
    else if (w.channel !== undefined) wifi['channel'] = w.channel;
    // A new band without a channel gets the band's default: the old channel belongs to the other band.
    else if (w.band !== undefined && w.band !== base.wifi.band) delete wifi['channel'];
  }
  return raw;
}

export function changedKeys(before: Config, after: Config): SettingKey[] {
  const a = settingsView(before);
  const b = settingsView(after);
  const pairs: [SettingKey, unknown, unknown][] = [
    ['hostname', a.hostname, b.hostname],
    ['timezone', a.timezone, b.timezone],
    ['wifi.ssid', a.wifi.ssid, b.wifi.ssid],
    ['wifi.passphrase', a.wifi.passphrase, b.wifi.passphrase],
    ['wifi.country', a.wifi.country, b.wifi.country],
    ['wifi.band', a.wifi.band, b.wifi.band],
    ['wifi.channel', a.wifi.channel, b.wifi.channel],
  ];
  return pairs.filter(([, x, y]) => x !== y).map(([k]) => k);
}

/**
 * A change that can cut the admin off (the network, or the name the browser reached the drive by)
 * must be confirmed; a time zone alone cannot, so it is kept at once.
 */
export function needsConfirmation(keys: readonly SettingKey[]): boolean {
  return keys.some((k) => k !== 'timezone');
}

export type PlanResult = { ok: true; candidate: Config; changed: SettingKey[] } | { ok: false; problems: ConfigProblem[] };

/** Validates a change against the running base configuration: the whole candidate passes provisioning's schema. */
export function planChange(base: Config, change: SettingsChange): PlanResult {
  const result = validateConfig(mergeChange(base, change));
  if (!result.ok) return { ok: false, problems: result.problems };
  return { ok: true, candidate: result.config, changed: changedKeys(base, result.config) };
}

/** The change in flight, in SETTINGS_STATE_DIR/pending.json (0600 root). */
export interface PendingChange {
  id: string;
  requestedAt: string;
  by: string;
  changed: SettingKey[];
  /** Seconds from the request to the automatic revert; null: kept without confirmation (time zone only). */
  revertAfterSeconds: number | null;
  /** When the revert is due by this clock (the timer itself is monotonic). */
  deadline: string | null;
  state: 'applying' | 'applied';
  previous: Config;
  candidate: Config;
}

/** How the last change ended, in SETTINGS_STATE_DIR/last.json. */
export interface LastOutcome {
  id: string;
  at: string;
  outcome: 'kept' | 'confirmed' | 'reverted' | 'failed';
  changed: SettingKey[];
  error?: string;
}

export class SettingsState {
  constructor(readonly dir: string = SETTINGS_STATE_DIR) {}

  get pendingFile(): string {
    return path.join(this.dir, 'pending.json');
  }

  get lastFile(): string {
    return path.join(this.dir, 'last.json');
  }

  async readPending(): Promise<PendingChange | null> {
    return readJson<PendingChange>(this.pendingFile);
  }

  async readLast(): Promise<LastOutcome | null> {
    return readJson<LastOutcome>(this.lastFile);
  }

  writePending(p: PendingChange): Promise<void> {
    return this.write(this.pendingFile, p);
  }

  writeLast(l: LastOutcome): Promise<void> {
    return this.write(this.lastFile, l);
  }

  /** Takes the pending change away atomically: whoever renames it first (confirm or revert) owns it. */
  async takePending(): Promise<PendingChange | null> {
    const taken = path.join(this.dir, `taken-${process.pid}-${Date.now()}.json`);
    try {
      await rename(this.pendingFile, taken);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const p = await readJson<PendingChange>(taken);
    await rm(taken, { force: true });
    return p;
  }

  private write(file: string, value: unknown): Promise<void> {
    return writeJsonAtomic(file, value);
  }
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Writes `config` as the base configuration and re-runs the steps that read the settings, over `root`. */
export async function applyConfig(root: string, config: Config, restart = true): Promise<string[]> {
  const target = new Target(root, false);
  await target.writeFile(BASE_CONFIG_FILE, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, secret: true });
  const reports = await runSteps(config, target, FIRSTBOOT_STEPS);
  // Not waited for: the daemon itself may be among them, and hostapd waits for its radio.
  if (restart) await restartChangedUnits(target, reports, { noBlock: true });
  return target.changes.filter((c) => c.kind !== 'unchanged' && c.kind !== 'note').map((c) => c.subject);
}

export interface ProgramDeps {
  root: string;
  /** False at boot: the units are about to start on the files as written. */
  restart?: boolean;
  state: SettingsState;
  now: () => Date;
  log: (line: string) => void;
  /** The helper answers the admin's request before the Wi-Fi drops: the apply waits this long first. */
  delayMs: number;
  /** Stops the revert timer (a change that failed to apply has already been put back). */
  cancelRevert: () => Promise<void>;
}

/** `settings.js apply`: the pending change, applied; on failure the previous settings at once. */
export async function applyPending(deps: ProgramDeps): Promise<LastOutcome | null> {
  if (deps.delayMs > 0) await new Promise((r) => setTimeout(r, deps.delayMs));
  const pending = await deps.state.readPending();
  if (!pending || pending.state !== 'applying') {
    deps.log('settings: nothing to apply');
    return null;
  }
  try {
    const changed = await applyConfig(deps.root, pending.candidate, deps.restart !== false);
    deps.log(`settings ${pending.id}: applied ${pending.changed.join(', ')} (${changed.length} file(s) changed)`);
  } catch (error) {
    const message = (error as Error).message;
    deps.log(`settings ${pending.id}: apply failed, putting the previous settings back: ${message}`);
    await deps.state.takePending();
    await deps.cancelRevert().catch(() => {});
    await applyConfig(deps.root, pending.previous, deps.restart !== false).catch((e: unknown) =>
      deps.log(`settings ${pending.id}: restoring failed too: ${(e as Error).message}`),
    );
    const last: LastOutcome = { id: pending.id, at: deps.now().toISOString(), outcome: 'failed', changed: pending.changed, error: message };
    await deps.state.writeLast(last);
    return last;
  }
  if (pending.revertAfterSeconds === null) {
    await deps.state.takePending();
    const last: LastOutcome = { id: pending.id, at: deps.now().toISOString(), outcome: 'kept', changed: pending.changed };
    await deps.state.writeLast(last);
    return last;
  }
  // Still pending, now awaiting the confirmation (unless it was confirmed or reverted meanwhile).
  const still = await deps.state.readPending();
  if (still?.id === pending.id) await deps.state.writePending({ ...still, state: 'applied' });
  return null;
}

/** `settings.js revert`: unless confirmed meanwhile, the previous settings come back. */
export async function revertPending(
  deps: Omit<ProgramDeps, 'delayMs' | 'cancelRevert'> & { applyWaitMs?: number; pollMs?: number },
): Promise<LastOutcome | null> {
  // An apply still running when the timer fires (a very slow card): let it finish first, or it would
  // write the new settings after the previous ones came back, and nothing would revert them then.
  const until = Date.now() + (deps.applyWaitMs ?? 120_000);
  while ((await deps.state.readPending())?.state === 'applying' && Date.now() < until) {
    await new Promise((r) => setTimeout(r, deps.pollMs ?? 1000));
  }
  const pending = await deps.state.takePending();
  if (!pending) {
    deps.log('settings: nothing to revert (confirmed)');
    return null;
  }
  let error: string | undefined;
  try {
    await applyConfig(deps.root, pending.previous, deps.restart !== false);
    deps.log(`settings ${pending.id}: not confirmed in ${pending.revertAfterSeconds} s, previous settings back`);
  } catch (e) {
    error = (e as Error).message;
    deps.log(`settings ${pending.id}: the revert failed: ${error}`);
  }
  const last: LastOutcome = { id: pending.id, at: deps.now().toISOString(), outcome: 'reverted', changed: pending.changed, ...(error ? { error } : {}) };
  await deps.state.writeLast(last);
  return last;
}

export const REVERT_UNIT = 'homedrive-settings-revert';
export const APPLY_UNIT = 'homedrive-settings-apply';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const command = process.argv[2];
  // Tests run the program against a scratch root; systemd starts it with neither variable set.
  const root = process.env.HCD_SETTINGS_ROOT || '/';
  const state = new SettingsState(process.env.HCD_SETTINGS_DIR || SETTINGS_STATE_DIR);
  const base = { root, state, restart: !process.env.HCD_SETTINGS_NO_RESTART, now: () => new Date(), log: (line: string) => console.error(line) };
  const cancelRevert = () =>
    new Promise<void>((resolve) => execFile(process.env.HCD_SETTINGS_SYSTEMCTL || 'systemctl', ['stop', `${REVERT_UNIT}.timer`], () => resolve()));
  const run =
    command === 'apply'
      ? applyPending({ ...base, delayMs: Number(process.env.HCD_SETTINGS_DELAY_MS ?? 1500), cancelRevert })
      : command === 'revert'
        ? // At boot (no restarts) an apply cut by the power loss will never finish: nothing to wait for.
          revertPending({ ...base, applyWaitMs: base.restart ? 120_000 : 0 })
        : Promise.reject(new Error('usage: settings.js apply|revert'));
  run.then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
