// What every verb module shares: the answer's shape, the typed refusal, and where the programs and
// files a verb touches live (overridable for tests). A module of its own so that the verb modules
// (verbs.ts, disk-verbs.ts) import it rather than each other.
import { execFile } from 'node:child_process';
import { BASE_CONFIG_FILE, NODE_BIN, SETTINGS_ENTRY, SETTINGS_STATE_DIR } from '../contract.js';
import { LockBusy, withLockFile } from '../lib/lock-file.js';

export interface Problem {
  path: string;
  message: string;
}

export type Answer = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string; problems?: Problem[] } };

export class HelperError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly problems?: Problem[],
  ) {
    super(message);
  }
}

export interface HelperEnv {
  hostapdCli: string;
  configFile: string;
  timeoutMs: number;
  systemdRun: string;
  systemctl: string;
  /** The program systemd runs as the transient apply and revert units. */
  nodeBin: string;
  settingsEntry: string;
  settingsDir: string;
  now: () => Date;
}

export function helperEnv(env: NodeJS.ProcessEnv = process.env): HelperEnv {
  return {
    hostapdCli: env.HCD_HELPER_HOSTAPD_CLI || '/usr/sbin/hostapd_cli',
    configFile: env.HCD_HELPER_CONFIG || BASE_CONFIG_FILE,
    timeoutMs: 5000,
    systemdRun: env.HCD_HELPER_SYSTEMD_RUN || '/usr/bin/systemd-run',
    systemctl: env.HCD_HELPER_SYSTEMCTL || '/usr/bin/systemctl',
    nodeBin: env.HCD_HELPER_NODE || NODE_BIN,
    settingsEntry: env.HCD_HELPER_SETTINGS_ENTRY || SETTINGS_ENTRY,
    settingsDir: env.HCD_HELPER_SETTINGS_DIR || SETTINGS_STATE_DIR,
    now: () => new Date(),
  };
}

/** A program with an argument array (never a shell), a clean PATH and C locale; its exit code and output, never a throw. */
export function run(file: string, args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
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

/**
 * Runs fn holding the lock file: a verb that checks that nothing is running, then records what it starts,
 * does both under it, so that two requests at once cannot both pass the check. The second is refused
 * with `busy` and `busyMessage`.
 */
export async function oneAtATime<T>(lockFile: string, busyMessage: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await withLockFile(lockFile, fn);
  } catch (err) {
    if (err instanceof LockBusy) throw new HelperError('busy', busyMessage);
    throw err;
  }
}
