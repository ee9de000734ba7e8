// The root helper's fixed list of verbs: one JSON request in, one JSON answer out. Every request is
// validated (zod, strict: unknown keys are refused) before anything runs; programs are run with
// execFile and argument arrays, never a shell.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { BANDS, CHANNELS_5GHZ, parseConfig, type Config } from '../config.js';
import { BASE_CONFIG_FILE, NODE_BIN, SETTINGS_ENTRY, SETTINGS_STATE_DIR } from '../contract.js';
import { CHANNELS_1_TO_11_ONLY, COUNTRY_CODES } from '../lib/countries.js';
import {
  APPLY_UNIT,
  needsConfirmation,
  planChange,
  REVERT_DEFAULT_SECONDS,
  REVERT_MAX_SECONDS,
  REVERT_MIN_SECONDS,
  REVERT_UNIT,
  SettingsState,
  settingsChange,
  settingsView,
  type LastOutcome,
  type PendingChange,
  type SettingKey,
  type SettingsView,
} from '../settings.js';
import { DISK_VERBS, diskAnswer } from './disk-verbs.js';
import { answerUpdateVerb, updateEnv, updateRequests, UPDATE_VERBS, type UpdateEnv, type UpdateHelperEnv } from './update-verbs.js';
import { HelperError, oneAtATime, run, type Answer, type HelperEnv } from './env.js';
import { parseAllSta, type Station } from './hostapd.js';

/** A request line longer than this is refused unread (the longest real one is far shorter). */
export const MAX_REQUEST_BYTES = 16 * 1024;

export const VERBS = ['stations', 'settings_get', 'settings_apply', 'settings_confirm', ...UPDATE_VERBS] as const;
export type Verb = (typeof VERBS)[number];

const noArgs = z.strictObject({}).default({});
const request = z.discriminatedUnion('verb', [
  z.strictObject({ verb: z.literal('stations'), args: noArgs }),
  z.strictObject({ verb: z.literal('settings_get'), args: noArgs }),
  z.strictObject({
    verb: z.literal('settings_apply'),
    args: z.strictObject({
      change: settingsChange,
      /** Who asked (the admin's username), for the journal and the console. */
      by: z.string().min(1).max(64),
      revertAfterSeconds: z.number().int().min(REVERT_MIN_SECONDS).max(REVERT_MAX_SECONDS).default(REVERT_DEFAULT_SECONDS),
    }),
  }),
  z.strictObject({ verb: z.literal('settings_confirm'), args: z.strictObject({ by: z.string().min(1).max(64) }) }),
  ...updateRequests,
]);

export interface StationsResult {
  interface: string;
  /** The radio firmware provisioning selected (the internal radio's client ceiling depends on it). */
  firmware: 'minimal' | 'standard';
  count: number;
  stations: Station[];
}

export { HelperError, helperEnv, type Answer, type HelperEnv, type Problem } from './env.js';

async function wifiConfig(env: HelperEnv): Promise<{ iface: string; firmware: 'minimal' | 'standard' }> {
  try {
    const c = parseConfig(JSON.parse(await readFile(env.configFile, 'utf8')));
    return { iface: c.wifi.interface, firmware: c.wifi.firmware };
  } catch {
    // No base configuration (a development machine): provisioning's defaults.
    return { iface: 'wlan0', firmware: 'minimal' };
  }
}

async function stations(env: HelperEnv): Promise<StationsResult> {
  const { iface, firmware } = await wifiConfig(env);
  const r = await run(env.hostapdCli, ['-p', '/run/hostapd', '-i', iface, 'all_sta'], env.timeoutMs);
  if (r.code !== 0 || /Failed to connect/i.test(r.stdout)) {
    throw new HelperError('ap_down', `hostapd does not answer on ${iface}: ${(r.stdout + r.stderr).trim().split('\n')[0] ?? 'no output'}`);
  }
  const list = parseAllSta(r.stdout);
  return { interface: iface, firmware, count: list.length, stations: list };
}

async function baseConfig(env: HelperEnv): Promise<Config> {
  try {
    return parseConfig(JSON.parse(await readFile(env.configFile, 'utf8')));
  } catch (error) {
    throw new HelperError('no_config', `The device's configuration ${env.configFile} cannot be read: ${(error as Error).message}`);
  }
}

export interface PendingView {
  id: string;
  by: string;
  requestedAt: string;
  changed: SettingKey[];
  state: PendingChange['state'];
  /** null: kept without confirmation once applied. */
  deadline: string | null;
  secondsLeft: number | null;
  /** What comes back without a confirmation. */
  previous: { hostname: string; ssid: string; open: boolean };
}

export interface SettingsResult {
  current: SettingsView;
  pending: PendingView | null;
  last: LastOutcome | null;
  choices: {
    countries: string[];
    countries1To11: string[];
    bands: string[];
    channels5GHz: number[];
    revertSeconds: { default: number; min: number; max: number };
  };
}

function pendingView(p: PendingChange, now: Date): PendingView {
  return {
    id: p.id,
    by: p.by,
    requestedAt: p.requestedAt,
    changed: p.changed,
    state: p.state,
    deadline: p.deadline,
    secondsLeft: p.deadline === null ? null : Math.max(0, Math.round((Date.parse(p.deadline) - now.getTime()) / 1000)),
    previous: { hostname: p.previous.hostname, ssid: p.previous.wifi.ssid, open: p.previous.wifi.passphrase === null },
  };
}

async function settingsGet(env: HelperEnv): Promise<SettingsResult> {
  const state = new SettingsState(env.settingsDir);
  const [config, pending, last] = await Promise.all([baseConfig(env), state.readPending(), state.readLast()]);
  return {
    current: settingsView(config),
    pending: pending ? pendingView(pending, env.now()) : null,
    last,
    choices: {
      countries: [...COUNTRY_CODES].sort(),
      countries1To11: [...CHANNELS_1_TO_11_ONLY].sort(),
      bands: [...BANDS],
      channels5GHz: [...CHANNELS_5GHZ],
      revertSeconds: { default: REVERT_DEFAULT_SECONDS, min: REVERT_MIN_SECONDS, max: REVERT_MAX_SECONDS },
    },
  };
}

type ApplyArgs = Extract<z.infer<typeof request>, { verb: 'settings_apply' }>['args'];

/**
 * Validates the change against provisioning's schema, records it with what it replaces, sets the revert
 * timer (when the change needs a confirmation), then starts the apply: both are transient systemd units,
 * so they outlive this one-request process.
 */
async function settingsApply(args: ApplyArgs, env: HelperEnv): Promise<{ changed: SettingKey[]; pending: PendingView | null }> {
  const state = new SettingsState(env.settingsDir);
  const base = await baseConfig(env);
  const earlier = await state.readPending();
  if (earlier?.state === 'applying') throw new HelperError('busy', 'The previous change is still being applied: try again in a few seconds.');
  const plan = planChange(base, args.change);
  if (!plan.ok) {
    throw new HelperError('bad_settings', plan.problems.map((p) => `${p.path}: ${p.message}`).join('; '), plan.problems);
  }
  if (plan.changed.length === 0) return { changed: [], pending: null };
  const now = env.now();
  const id = randomBytes(4).toString('hex');
  // A change made while another awaits its confirmation builds on it, and a revert still goes back to the
  // last confirmed settings: so it needs a confirmation too.
  const confirm = needsConfirmation(plan.changed) || earlier !== null;
  const seconds = confirm ? args.revertAfterSeconds : null;
  const pending: PendingChange = {
    id,
    requestedAt: now.toISOString(),
    by: args.by,
    changed: [...new Set([...(earlier?.changed ?? []), ...plan.changed])],
    revertAfterSeconds: seconds,
    deadline: seconds === null ? null : new Date(now.getTime() + seconds * 1000).toISOString(),
    state: 'applying',
    previous: earlier?.previous ?? base,
    candidate: plan.candidate,
  };
  await state.writePending(pending);
  const undo = async (why: string): Promise<never> => {
    await state.takePending();
    await run(env.systemctl, ['stop', `${REVERT_UNIT}-*.timer`], env.timeoutMs);
    throw new HelperError('failed', why);
  };
  // An earlier change's timer goes: this change sets its own.
  await run(env.systemctl, ['stop', `${REVERT_UNIT}-*.timer`], env.timeoutMs);
  if (seconds !== null) {
    // The timer first: if it cannot be set, nothing has changed yet.
    const timer = await run(
      env.systemdRun,
      [
        '--quiet',
        '--collect',
        `--unit=${REVERT_UNIT}-${id}`,
        `--on-active=${seconds}s`,
        '--timer-property=AccuracySec=1s',
        '--description=Home Container Drive: put the previous device settings back unless confirmed',
        env.nodeBin,
        env.settingsEntry,
        'revert',
      ],
      env.timeoutMs,
    );
    if (timer.code !== 0) await undo(`systemd-run could not set the revert timer: ${(timer.stderr || timer.stdout).trim()}`);
  }
  const apply = await run(
    env.systemdRun,
    [
      '--quiet',
      '--collect',
      '--no-block',
      `--unit=${APPLY_UNIT}-${id}`,
      '--description=Home Container Drive: apply the device settings',
      env.nodeBin,
      env.settingsEntry,
      'apply',
    ],
    env.timeoutMs,
  );
  if (apply.code !== 0) await undo(`systemd-run could not start the apply: ${(apply.stderr || apply.stdout).trim()}`);
  return { changed: pending.changed, pending: pendingView(pending, now) };
}

async function settingsConfirm(by: string, env: HelperEnv): Promise<{ confirmed: true; changed: SettingKey[] }> {
  const state = new SettingsState(env.settingsDir);
  const pending = await state.readPending();
  if (!pending)
    throw new HelperError('nothing_pending', 'No change is waiting for a confirmation: it was confirmed already, or the previous settings came back.');
  if (pending.state === 'applying')
    throw new HelperError('not_applied_yet', 'The change is still being applied: confirm once the drive answers on the new settings.');
  // Whoever takes the file first wins: the revert, if its timer fired a moment ago, or this confirmation.
  const taken = await state.takePending();
  if (!taken) throw new HelperError('nothing_pending', 'Too late: the previous settings are coming back.');
  await run(env.systemctl, ['stop', `${REVERT_UNIT}-*.timer`], env.timeoutMs);
  await state.writeLast({ id: taken.id, at: env.now().toISOString(), outcome: 'confirmed', changed: taken.changed });
  process.stderr.write(`hcd-helper: settings ${taken.id} confirmed by ${by}\n`);
  return { confirmed: true, changed: taken.changed };
}

/** One request line → one answer. Never throws. */
export async function handle(line: string, env: HelperEnv & Partial<UpdateEnv>): Promise<{ verb: string; answer: Answer }> {
  let parsed: z.infer<typeof request>;
  try {
    const json: unknown = JSON.parse(line);
    // The disk verbs (disk-verbs.ts) validate and answer on their own.
    const disk = await diskAnswer(json, env);
    if (disk) return disk;
    const r = request.safeParse(json);
    if (!r.success) {
      const first = r.error.issues[0];
      const where = first && first.path.length ? ` (at ${first.path.join('.')})` : '';
      return {
        verb: '?',
        answer: {
          ok: false,
          error: { code: 'bad_request', message: `${first?.message ?? 'invalid request'}${where}; verbs: ${[...VERBS, ...DISK_VERBS].join(', ')}` },
        },
      };
    }
    parsed = r.data;
  } catch {
    return { verb: '?', answer: { ok: false, error: { code: 'bad_request', message: 'The request is not JSON: send one line {"verb": …, "args": {…}}.' } } };
  }
  try {
    switch (parsed.verb) {
      case 'stations':
        return { verb: parsed.verb, answer: { ok: true, result: await stations(env) } };
      case 'settings_get':
        return { verb: parsed.verb, answer: { ok: true, result: await settingsGet(env) } };
      case 'settings_apply':
        return {
          verb: parsed.verb,
          answer: {
            ok: true,
            result: await oneAtATime(path.join(env.settingsDir, 'apply.lock'), 'Another change is being recorded: try again in a few seconds.', () =>
              settingsApply(parsed.args, env),
            ),
          },
        };
      case 'settings_confirm':
        return { verb: parsed.verb, answer: { ok: true, result: await settingsConfirm(parsed.args.by, env) } };
      case 'update_status':
      case 'update_check':
      case 'update_install':
      case 'update_rollback':
        // The update verbs' paths come from their own environment (update-verbs.ts), overridable by tests.
        return { verb: parsed.verb, answer: await answerUpdateVerb(parsed.verb, parsed.args, { ...updateEnv(), ...env } as UpdateHelperEnv) };
    }
  } catch (err) {
    const code = err instanceof HelperError ? err.code : 'failed';
    const problems = err instanceof HelperError && err.problems ? { problems: err.problems } : {};
    return { verb: parsed.verb, answer: { ok: false, error: { code, message: err instanceof Error ? err.message : String(err), ...problems } } };
  }
}
