// Installing a signed update bundle (issue 17 item 5), run by systemd as a transient unit the root helper starts
// (`install.js install <id>` or `install.js rollback`), so that it outlives both the helper and the daemon it restarts.
//
// install <id>:
//   1. the root-only copy UPDATE_STATE_DIR/<id>.hcdb is checked again (signature, payload hash, every tar header);
//   2. its payload is unpacked by `tar -xJf -` into APP_DIR/.staging-<id>/ (beside the running version);
//   3. the directories are swapped by renames: the running app/ and node/ become previous/{app,node} (an older
//      previous is set aside, removed once the new version serves), the staged ones take their place (a rename
//      that fails undoes the ones before it: outcome failed, nothing restarted);
//   4. homedrive.service is restarted and /api/health polled for up to a minute until it answers 200 with the
//      manifest's version;
//   5. if it does not, the swap is undone (the failed version is removed, not kept: an SD card has no room for
//      versions nobody will run; the journal and last.json say why it failed), the older previous put back, and
//      the version that ran before restarted and health-checked.
// rollback: previous/ and the running version trade places, the daemon restarts and is health-checked; if the
// previous version does not serve either, they trade back.
// The outcome is UPDATE_STATE_DIR/last.json; while it runs, pending.json (written first by the helper).
import { spawn, execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { APP_DIR, DAEMON_SERVICE, ENV_FILE, HTTP_PORT, UPDATE_KEY_FILE, UPDATE_STATE_DIR } from '../contract.js';
import { writeJsonAtomic } from '../lib/json-file.js';
import { BundleError, checkPayloadEntries, verifyBundle } from './bundle-file.js';
import type { PendingUpdate, UpdateOutcome } from '../../daemon/src/api-types.js';

/** How long the new version has to answer /api/health with its version. */
export const HEALTH_TIMEOUT_MS = 60_000;
/** A pending.json older than this belongs to a run that died (a power cut): it no longer blocks a new one. */
export const PENDING_STALE_MS = 15 * 60_000;
export const INSTALL_UNIT = 'homedrive-update';

export interface UpdatePaths {
  /** APP_DIR: holds app/, node/, previous/ and, while installing, .staging-<id>/. */
  appDir: string;
  /** UPDATE_STATE_DIR: <id>.hcdb copies, pending.json, last.json. */
  stateDir: string;
  keyFile: string;
  /** homedrive.env: HCD_PORT, where the daemon listens (default 80). */
  envFile: string;
  systemctl: string;
  tar: string;
  service: string;
  healthTimeoutMs: number;
  pollMs: number;
  log: (line: string) => void;
  now: () => Date;
}

export function updatePaths(overrides: Partial<UpdatePaths> = {}): UpdatePaths {
  return {
    appDir: APP_DIR,
    stateDir: UPDATE_STATE_DIR,
    keyFile: UPDATE_KEY_FILE,
    envFile: ENV_FILE,
    systemctl: '/usr/bin/systemctl',
    tar: '/usr/bin/tar',
    service: DAEMON_SERVICE,
    healthTimeoutMs: HEALTH_TIMEOUT_MS,
    pollMs: 1000,
    log: (line) => console.error(line),
    now: () => new Date(),
    ...overrides,
  };
}

// The state files' shapes are the API's (GET /api/admin/update returns them as they are): one definition, in
// the daemon's api-types.ts, which the web UI also compiles (it has no Node types, so it cannot import this file).
export type { PendingUpdate, UpdateOutcome };

// ---------------------------------------------------------------------------------------------------- state

export function bundleCopy(stateDir: string, id: string): string {
  return path.join(stateDir, `${id}.hcdb`);
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

const writeJson = (file: string, value: unknown) => writeJsonAtomic(file, value);

export const readPending = (stateDir: string) => readJson<PendingUpdate>(path.join(stateDir, 'pending.json'));
export const writePending = (stateDir: string, p: PendingUpdate) => writeJson(path.join(stateDir, 'pending.json'), p);
export const clearPending = (stateDir: string) => rm(path.join(stateDir, 'pending.json'), { force: true });
export const readLast = (stateDir: string) => readJson<UpdateOutcome>(path.join(stateDir, 'last.json'));
const writeLast = (stateDir: string, o: UpdateOutcome) => writeJson(path.join(stateDir, 'last.json'), o);

/** A pending update still in flight (not one left by a run that died). */
export function isLive(p: PendingUpdate | null, now: Date): p is PendingUpdate {
  return p !== null && now.getTime() - Date.parse(p.requestedAt) < PENDING_STALE_MS;
}

/** The version of an installed app directory: its VERSION file, else its package.json's version; null if neither. */
export async function readAppVersion(appPath: string): Promise<string | null> {
  try {
    const v = (await readFile(path.join(appPath, 'VERSION'), 'utf8')).trim();
    if (v) return v;
  } catch {
    // no VERSION: an image built before it was written
  }
  try {
    const pkg = JSON.parse(await readFile(path.join(appPath, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : null;
  } catch {
    return null;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------- programs

function run(file: string, args: string[], timeoutMs = 120_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(file, args, { timeout: timeoutMs, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, out: `${String(stdout)}${String(stderr)}`.trim() || (err ? err.message : '') });
    }),
  );
}

/** The payload (from payloadOffset) piped into `tar -C staging -xJf -`: root-owned files, modes as packed. */
async function unpack(p: UpdatePaths, file: string, payloadOffset: number, staging: string): Promise<void> {
  const tar = spawn(p.tar, ['-C', staging, '--no-same-owner', '-xJf', '-'], {
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' },
  });
  let stderr = '';
  tar.stderr.setEncoding('utf8');
  tar.stderr.on('data', (s: string) => {
    if (stderr.length < 4096) stderr += s;
  });
  const exited = new Promise<number | string>((resolve) => {
    tar.on('error', (e) => resolve(e.message));
    tar.on('close', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const fed = pipeline(createReadStream(file, { start: payloadOffset }), tar.stdin).catch((e: unknown) => e);
  const status = await exited;
  const feedError = await fed;
  if (status !== 0) throw new Error(`tar could not unpack the bundle: ${stderr.trim() || status}`);
  if (feedError) throw feedError as Error;
}

async function daemonPort(envFile: string): Promise<number> {
  try {
    const m = /^HCD_PORT=(\d+)\s*$/m.exec(await readFile(envFile, 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // no env file: the contract's port
  }
  return HTTP_PORT;
}

/** Polls /api/health until it answers 200 with `version`; false once the time is up. */
export async function waitHealthy(p: UpdatePaths, version: string | null): Promise<{ ok: boolean; seen: string }> {
  const url = `http://127.0.0.1:${await daemonPort(p.envFile)}/api/health`;
  const deadline = Date.now() + p.healthTimeoutMs;
  let seen = 'no answer';
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.min(5000, p.healthTimeoutMs)) });
      const body = (await res.json().catch(() => null)) as { version?: unknown } | null;
      seen = `HTTP ${res.status}, version ${String(body?.version ?? 'none')}`;
      if (res.status === 200 && (version === null || body?.version === version)) return { ok: true, seen };
    } catch (error) {
      seen = `no answer (${(error as Error).message})`;
    }
    if (Date.now() >= deadline) return { ok: false, seen };
    await new Promise((r) => setTimeout(r, p.pollMs));
  }
}

async function restart(p: UpdatePaths): Promise<void> {
  const r = await run(p.systemctl, ['restart', p.service]);
  if (r.code !== 0) p.log(`update: systemctl restart ${p.service} failed (${r.code}): ${r.out}`);
}

/** Renames a over b's place and b over a's, through a temporary name beside them. */
async function trade(a: string, b: string): Promise<void> {
  const temp = `${a}.trade-${process.pid}`;
  await rename(a, temp);
  await rename(b, a);
  await rename(temp, b);
}

// ---------------------------------------------------------------------------------------------------- install

export async function installBundle(id: string, p: UpdatePaths): Promise<UpdateOutcome> {
  if (!/^[0-9a-f]{16}$/.test(id)) throw new Error(`not a bundle id: ${id}`);
  const file = bundleCopy(p.stateDir, id);
  const app = path.join(p.appDir, 'app');
  const node = path.join(p.appDir, 'node');
  const prevDir = path.join(p.appDir, 'previous');
  const staging = path.join(p.appDir, `.staging-${id}`);
  const runningBefore = await readAppVersion(app);
  const pending: PendingUpdate = (await readPending(p.stateDir)) ?? {
    id,
    action: 'install',
    version: null,
    requestedAt: p.now().toISOString(),
    state: 'starting',
  };
  const step = (state: PendingUpdate['state'], version = pending.version) => writePending(p.stateDir, { ...pending, id, version, state });
  const finish = async (o: Omit<UpdateOutcome, 'id' | 'action' | 'at'>): Promise<UpdateOutcome> => {
    const outcome: UpdateOutcome = { id, action: 'install', at: p.now().toISOString(), ...o };
    await writeLast(p.stateDir, outcome);
    await clearPending(p.stateDir);
    await rm(file, { force: true });
    p.log(`update ${id}: ${outcome.outcome} ${outcome.version ?? ''}${outcome.error ? `: ${outcome.error}` : ''}`);
    return outcome;
  };

  // 1-2: checked again, unpacked beside the running version. Nothing running is touched before this succeeds.
  let version: string | null = null;
  try {
    await step('checking');
    const key = await readFile(p.keyFile, 'utf8');
    const { manifest, payloadOffset } = await verifyBundle(file, key);
    version = manifest.version;
    await checkPayloadEntries(file, payloadOffset);
    await step('unpacking', version);
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { mode: 0o755 });
    await unpack(p, file, payloadOffset, staging);
    for (const d of ['app', 'node']) {
      if (!(await exists(path.join(staging, 'opt', 'homedrive', d)))) throw new Error(`the bundle has no opt/homedrive/${d}/`);
    }
    // The daemon reports app/VERSION on /api/health: the signed manifest's version, whatever the payload says
    // (20-bundle writes the same string; a bundle built before it did has none).
    await writeFile(path.join(staging, 'opt', 'homedrive', 'app', 'VERSION'), `${version}\n`, { mode: 0o644 });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const message = (error instanceof BundleError ? `${error.code}: ${error.message}` : (error as Error).message).replaceAll(file, 'the bundle');
    return finish({ outcome: 'failed', version, running: runningBefore, error: message });
  }

  // 3: the swap, by renames: the running version becomes the previous one. The older previous is set aside until
  // the new version serves (a failed install leaves previous/ as it was). A rename that fails undoes those before it.
  await step('restarting', version);
  const older = path.join(p.appDir, `.previous-${id}`);
  await rm(older, { recursive: true, force: true });
  const done: [string, string][] = [];
  const move = async (from: string, to: string) => {
    await rename(from, to);
    done.push([from, to]);
  };
  try {
    if (await exists(prevDir)) await move(prevDir, older);
    await mkdir(prevDir, { mode: 0o755 });
    await move(app, path.join(prevDir, 'app'));
    await move(node, path.join(prevDir, 'node'));
    await move(path.join(staging, 'opt', 'homedrive', 'app'), app);
    await move(path.join(staging, 'opt', 'homedrive', 'node'), node);
  } catch (error) {
    for (const [from, to] of done.reverse()) {
      if (from === prevDir) await rm(prevDir, { recursive: true, force: true });
      await rename(to, from).catch((e: Error) => p.log(`update ${id}: could not move ${to} back to ${from}: ${e.message}`));
    }
    if (!done.some(([from]) => from === prevDir) && !(await exists(path.join(prevDir, 'app')))) await rm(prevDir, { recursive: true, force: true });
    await rm(staging, { recursive: true, force: true });
    return finish({ outcome: 'failed', version, running: runningBefore, error: `the new version could not be put in place: ${(error as Error).message}` });
  }
  await rm(staging, { recursive: true, force: true });

  // 4: the new version must serve, and say it is the new version.
  await restart(p);
  const health = await waitHealthy(p, version);
  if (health.ok) {
    await rm(older, { recursive: true, force: true });
    return finish({ outcome: 'installed', version, running: version });
  }

  // 5: put the previous version back; the failed one is removed.
  await step('rolling_back', version);
  const failed = path.join(p.appDir, `.failed-${id}`);
  await rm(failed, { recursive: true, force: true });
  await mkdir(failed, { mode: 0o700 });
  await rename(app, path.join(failed, 'app'));
  await rename(node, path.join(failed, 'node'));
  await rename(path.join(prevDir, 'app'), app);
  await rename(path.join(prevDir, 'node'), node);
  await rm(prevDir, { recursive: true, force: true });
  if (await exists(older)) await rename(older, prevDir);
  await rm(failed, { recursive: true, force: true });
  await restart(p);
  const back = await waitHealthy(p, runningBefore);
  return finish({
    outcome: 'rolled_back',
    version,
    running: runningBefore,
    error:
      `version ${version} did not serve within ${Math.round(p.healthTimeoutMs / 1000)} s (last: ${health.seen}); ${runningBefore ?? 'the previous version'} is back` +
      (back.ok ? '' : ` but does not answer either (${back.seen})`),
  });
}

// ---------------------------------------------------------------------------------------------------- rollback

export async function rollback(p: UpdatePaths): Promise<UpdateOutcome> {
  const app = path.join(p.appDir, 'app');
  const node = path.join(p.appDir, 'node');
  const prevApp = path.join(p.appDir, 'previous', 'app');
  const prevNode = path.join(p.appDir, 'previous', 'node');
  const pending = await readPending(p.stateDir);
  const id = pending?.action === 'rollback' ? pending.id : 'rollback';
  const current = await readAppVersion(app);
  const finish = async (o: Omit<UpdateOutcome, 'id' | 'action' | 'at'>): Promise<UpdateOutcome> => {
    const outcome: UpdateOutcome = { id, action: 'rollback', at: p.now().toISOString(), ...o };
    await writeLast(p.stateDir, outcome);
    await clearPending(p.stateDir);
    p.log(`update rollback: ${outcome.outcome} to ${outcome.version ?? '?'}${outcome.error ? `: ${outcome.error}` : ''}`);
    return outcome;
  };
  if (!(await exists(prevApp)) || !(await exists(prevNode))) {
    return finish({ outcome: 'failed', version: null, running: current, error: 'there is no previous version to go back to' });
  }
  const target = await readAppVersion(prevApp);
  if (pending) await writePending(p.stateDir, { ...pending, version: target, state: 'restarting' });
  await trade(app, prevApp);
  await trade(node, prevNode);
  await restart(p);
  const health = await waitHealthy(p, target);
  if (health.ok) return finish({ outcome: 'installed', version: target, running: target });
  // The previous version does not serve: the one that did comes back.
  await trade(app, prevApp);
  await trade(node, prevNode);
  await restart(p);
  await waitHealthy(p, current);
  return finish({
    outcome: 'failed',
    version: target,
    running: current,
    error: `version ${target ?? '?'} did not serve within ${Math.round(p.healthTimeoutMs / 1000)} s (last: ${health.seen}); ${current ?? 'the running version'} is back`,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [command, id] = process.argv.slice(2);
  const p = updatePaths();
  const job =
    command === 'install' && id
      ? installBundle(id, p)
      : command === 'rollback'
        ? rollback(p)
        : Promise.reject(new Error('usage: install.js install <id> | rollback'));
  job.then(
    (o) => process.exit(o.outcome === 'installed' ? 0 : 1),
    async (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      // Never leave a pending update behind that would block the next one.
      await clearPending(p.stateDir).catch(() => {});
      process.exit(1);
    },
  );
}
