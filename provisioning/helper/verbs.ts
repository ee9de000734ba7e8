// The root helper's fixed list of verbs: one JSON request in, one JSON answer out. Every request is
// validated (zod, strict: unknown keys are refused) before anything runs; programs are run with
// execFile and argument arrays, never a shell.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { BASE_CONFIG_FILE } from '../contract.js';
import { parseConfig } from '../config.js';
import { parseAllSta, type Station } from './hostapd.js';

/** A request line longer than this is refused unread (the longest real one is far shorter). */
export const MAX_REQUEST_BYTES = 16 * 1024;

export const VERBS = ['stations'] as const;
export type Verb = (typeof VERBS)[number];

const request = z
  .object({
    verb: z.enum(VERBS),
    args: z.object({}).strict().default({}),
  })
  .strict();

export interface StationsResult {
  interface: string;
  /** The radio firmware provisioning selected (the internal radio's client ceiling depends on it). */
  firmware: 'minimal' | 'standard';
  count: number;
  stations: Station[];
}

export type Answer = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

export class HelperError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface HelperEnv {
  hostapdCli: string;
  configFile: string;
  timeoutMs: number;
}

export function helperEnv(env: NodeJS.ProcessEnv = process.env): HelperEnv {
  return {
    hostapdCli: env.HCD_HELPER_HOSTAPD_CLI || '/usr/sbin/hostapd_cli',
    configFile: env.HCD_HELPER_CONFIG || BASE_CONFIG_FILE,
    timeoutMs: 5000,
  };
}

function run(file: string, args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      file,
      args,
      { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === -1 ? err.message : '') });
      },
    ),
  );
}

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

/** One request line → one answer. Never throws. */
export async function handle(line: string, env: HelperEnv): Promise<{ verb: string; answer: Answer }> {
  let parsed: z.infer<typeof request>;
  try {
    const json: unknown = JSON.parse(line);
    const r = request.safeParse(json);
    if (!r.success) {
      const first = r.error.issues[0];
      const where = first && first.path.length ? ` (at ${first.path.join('.')})` : '';
      return {
        verb: '?',
        answer: { ok: false, error: { code: 'bad_request', message: `${first?.message ?? 'invalid request'}${where}; verbs: ${VERBS.join(', ')}` } },
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
    }
  } catch (err) {
    const code = err instanceof HelperError ? err.code : 'failed';
    return { verb: parsed.verb, answer: { ok: false, error: { code, message: err instanceof Error ? err.message : String(err) } } };
  }
}
