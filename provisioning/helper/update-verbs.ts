// The root helper's update verbs (issue 17 item 5), kept apart from verbs.ts, which merges them:
//   update_status    the running and previous versions, the update in flight, the last outcome;
//   update_check     {file}: the daemon's upload (only UPDATE_UPLOAD_DIR/<16 hex>.hcdb) copied into the helper's
//                    root-only state directory, so the daemon cannot change it after the check, then verified there;
//   update_install   {id}: starts `install.js install <id>` as a transient unit (provisioning/update/install.ts);
//   update_rollback  {}: starts `install.js rollback` the same way.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { APP_DIR, UPDATE_ENTRY, UPDATE_KEY_FILE, UPDATE_STATE_DIR, UPDATE_UPLOAD_DIR } from '../contract.js';
import { HelperError, oneAtATime } from './env.js';
import { BundleError, checkPayloadEntries, verifyBundle, type BundleManifest } from '../update/bundle-file.js';
import {
  bundleCopy,
  clearPending,
  INSTALL_UNIT,
  isLive,
  readAppVersion,
  readLast,
  readPending,
  writePending,
  type PendingUpdate,
  type UpdateOutcome,
} from '../update/install.js';

export const UPDATE_VERBS = ['update_status', 'update_check', 'update_install', 'update_rollback'] as const;
export type UpdateVerb = (typeof UPDATE_VERBS)[number];

const UPLOAD_NAME = /^[0-9a-f]{16}\.hcdb$/;
const bundleId = z.string().regex(/^[0-9a-f]{16}$/, '16 lowercase hex digits');

/** The update fields of the helper's environment; merged into HelperEnv by verbs.ts. */
export interface UpdateEnv {
  /** Where the daemon leaves an upload (update_check accepts nothing else). */
  updateUploadDir: string;
  /** The helper's root-only state (StateDirectory=homedrive-update). */
  updateStateDir: string;
  updateKeyFile: string;
  /** APP_DIR: app/ (running) and previous/app. */
  updateAppDir: string;
  updateEntry: string;
}

export function updateEnv(env: NodeJS.ProcessEnv = process.env): UpdateEnv {
  return {
    updateUploadDir: env.HCD_HELPER_UPDATE_UPLOAD_DIR || UPDATE_UPLOAD_DIR,
    updateStateDir: env.HCD_HELPER_UPDATE_DIR || UPDATE_STATE_DIR,
    updateKeyFile: env.HCD_HELPER_UPDATE_KEY || UPDATE_KEY_FILE,
    updateAppDir: env.HCD_HELPER_APP_DIR || APP_DIR,
    updateEntry: env.HCD_HELPER_UPDATE_ENTRY || UPDATE_ENTRY,
  };
}

/** What the update verbs use of the helper's environment: HelperEnv (verbs.ts) & UpdateEnv has it all. */
export type UpdateHelperEnv = { systemdRun: string; nodeBin: string; timeoutMs: number; now: () => Date } & UpdateEnv;

/** The helper's answer line, as verbs.ts's Answer. */
export type UpdateAnswer = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

const noArgs = z.strictObject({}).default({});
export const updateArgs = {
  update_status: noArgs,
  update_check: z.strictObject({
    file: z
      .string()
      .max(4096)
      .refine((f) => path.isAbsolute(f) && path.normalize(f) === f && UPLOAD_NAME.test(path.basename(f)), 'an absolute path ending in <16 hex digits>.hcdb'),
  }),
  update_install: z.strictObject({ id: bundleId }),
  update_rollback: noArgs,
} as const;

/** The four request shapes, for verbs.ts's discriminated union. */
export const updateRequests = [
  z.strictObject({ verb: z.literal('update_status'), args: updateArgs.update_status }),
  z.strictObject({ verb: z.literal('update_check'), args: updateArgs.update_check }),
  z.strictObject({ verb: z.literal('update_install'), args: updateArgs.update_install }),
  z.strictObject({ verb: z.literal('update_rollback'), args: updateArgs.update_rollback }),
] as const;

export interface UpdateStatus {
  running: { version: string | null };
  previous: { version: string | null } | null;
  pending: PendingUpdate | null;
  last: UpdateOutcome | null;
}

export interface UpdateCheck {
  id: string;
  manifest: BundleManifest;
  bytes: number;
  running: { version: string | null };
  previous: { version: string | null } | null;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

async function versions(env: UpdateHelperEnv): Promise<Pick<UpdateStatus, 'running' | 'previous'>> {
  const prev = path.join(env.updateAppDir, 'previous', 'app');
  return {
    running: { version: await readAppVersion(path.join(env.updateAppDir, 'app')) },
    previous: (await exists(prev)) ? { version: await readAppVersion(prev) } : null,
  };
}

async function livePending(env: UpdateHelperEnv): Promise<PendingUpdate | null> {
  const p = await readPending(env.updateStateDir);
  return isLive(p, env.now()) ? p : null;
}

async function status(env: UpdateHelperEnv): Promise<UpdateStatus> {
  return { ...(await versions(env)), pending: await livePending(env), last: await readLast(env.updateStateDir) };
}

/** Refuses, before anything is read or written, a file that is not an upload in the daemon's updates directory. */
function uploadOnly(file: string, env: UpdateHelperEnv): void {
  if (path.dirname(file) !== path.resolve(env.updateUploadDir) || !UPLOAD_NAME.test(path.basename(file))) {
    throw new HelperError('bad_request', `Only an upload in ${env.updateUploadDir}/ named <16 hex digits>.hcdb is checked.`);
  }
}

/** Called after uploadOnly(file) (handleUpdateVerb, before the lock). */
async function check(file: string, env: UpdateHelperEnv): Promise<UpdateCheck> {
  if (await livePending(env)) throw new HelperError('busy', 'An update is being installed: wait for its outcome.');
  const id = path.basename(file, '.hcdb');
  await mkdir(env.updateStateDir, { recursive: true, mode: 0o700 });
  // One checked bundle at a time: earlier copies (uploaded, never installed) go.
  for (const name of await readdir(env.updateStateDir)) if (name.endsWith('.hcdb')) await rm(path.join(env.updateStateDir, name), { force: true });
  const copy = bundleCopy(env.updateStateDir, id);
  let source;
  try {
    // O_NOFOLLOW: a symlink planted in the upload directory does not make root read another file.
    source = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    throw new HelperError('no_upload', `The upload ${file} cannot be read: ${(error as Error).message}`);
  }
  try {
    if (!(await source.stat()).isFile()) throw new HelperError('no_upload', `${file} is not a file.`);
    await pipeline(createReadStream('', { fd: source, autoClose: false }), createWriteStream(copy, { mode: 0o600, flags: 'wx' }));
  } catch (error) {
    await rm(copy, { force: true });
    throw error;
  } finally {
    await source.close();
  }
  try {
    const key = await readFile(env.updateKeyFile, 'utf8').catch((e: Error) => {
      throw new HelperError('no_key', `This device has no update key (${env.updateKeyFile}: ${e.message}): it was built without HCD_BUNDLE_KEY.`);
    });
    const { manifest, payloadOffset } = await verifyBundle(copy, key);
    await checkPayloadEntries(copy, payloadOffset);
    const { size } = await stat(copy);
    return { id, manifest, bytes: size, ...(await versions(env)) };
  } catch (error) {
    await rm(copy, { force: true });
    if (error instanceof BundleError) throw new HelperError('invalid_bundle', `${error.code}: ${error.message.replaceAll(copy, 'the bundle')}`);
    throw error;
  }
}

async function start(env: UpdateHelperEnv, pending: PendingUpdate, args: string[]): Promise<{ pending: PendingUpdate }> {
  await writePending(env.updateStateDir, pending);
  const r = await new Promise<{ code: number; out: string }>((resolve) =>
    execFile(
      env.systemdRun,
      [
        '--quiet',
        '--collect',
        '--no-block',
        `--unit=${INSTALL_UNIT}-${pending.id}`,
        `--description=Home Container Drive: ${pending.action === 'install' ? `install version ${pending.version ?? '?'}` : 'go back to the previous version'}`,
        env.nodeBin,
        env.updateEntry,
        ...args,
      ],
      { timeout: env.timeoutMs, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } },
      (err, stdout, stderr) => resolve({ code: err ? -1 : 0, out: `${String(stdout)}${String(stderr)}`.trim() || (err?.message ?? '') }),
    ),
  );
  if (r.code !== 0) {
    await clearPending(env.updateStateDir);
    throw new HelperError('failed', `systemd-run could not start the update: ${r.out}`);
  }
  return { pending };
}

async function install(id: string, env: UpdateHelperEnv): Promise<{ pending: PendingUpdate }> {
  if (await livePending(env)) throw new HelperError('busy', 'An update is being installed: wait for its outcome.');
  const copy = bundleCopy(env.updateStateDir, id);
  if (!(await exists(copy))) throw new HelperError('unknown_bundle', `No checked bundle ${id}: upload it again.`);
  // The version for the console; install.js checks the copy again before it unpacks anything.
  let version: string | null = null;
  try {
    version = (await verifyBundle(copy, await readFile(env.updateKeyFile, 'utf8'))).manifest.version;
  } catch (error) {
    await rm(copy, { force: true });
    throw new HelperError('invalid_bundle', `The checked bundle no longer verifies: ${(error as Error).message}`);
  }
  return start(env, { id, action: 'install', version, requestedAt: env.now().toISOString(), state: 'starting' }, ['install', id]);
}

async function rollbackVerb(env: UpdateHelperEnv): Promise<{ pending: PendingUpdate }> {
  if (await livePending(env)) throw new HelperError('busy', 'An update is being installed: wait for its outcome.');
  const { previous } = await versions(env);
  if (!previous) throw new HelperError('no_previous', 'There is no previous version to go back to.');
  const id = randomBytes(8).toString('hex');
  return start(env, { id, action: 'rollback', version: previous.version, requestedAt: env.now().toISOString(), state: 'starting' }, ['rollback']);
}

const BUSY = 'Another update request is being handled: try again in a moment.';
const lockFile = (env: UpdateHelperEnv) => path.join(env.updateStateDir, 'verb.lock');

/** Validates the arguments (strict) and runs one update verb; throws HelperError on a refusal. */
export async function handleUpdateVerb(verb: UpdateVerb, args: unknown, env: UpdateHelperEnv): Promise<unknown> {
  const schema = updateArgs[verb];
  if (!schema) throw new HelperError('bad_request', `Unknown verb ${String(verb)}.`);
  const parsed = schema.safeParse(args ?? {});
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new HelperError('bad_request', `${first?.message ?? 'invalid arguments'}${first?.path.length ? ` (at args.${first.path.join('.')})` : ''}`);
  }
  const a = parsed.data as Record<string, string>;
  switch (verb) {
    case 'update_status':
      return status(env);
    // One at a time (the helper runs one process per connection): each checks that no install is running,
    // then records its own work, under one lock.
    case 'update_check':
      uploadOnly(a.file!, env);
      return oneAtATime(lockFile(env), BUSY, () => check(a.file!, env));
    case 'update_install':
      return oneAtATime(lockFile(env), BUSY, () => install(a.id!, env));
    case 'update_rollback':
      return oneAtATime(lockFile(env), BUSY, () => rollbackVerb(env));
  }
}

export function isUpdateVerb(verb: unknown): verb is UpdateVerb {
  return typeof verb === 'string' && (UPDATE_VERBS as readonly string[]).includes(verb);
}

/** One update verb → its answer (what verbs.ts's handle() returns for it); never throws. */
export async function answerUpdateVerb(verb: UpdateVerb, args: unknown, env: UpdateHelperEnv): Promise<UpdateAnswer> {
  try {
    return { ok: true, result: await handleUpdateVerb(verb, args, env) };
  } catch (error) {
    return { ok: false, error: { code: error instanceof HelperError ? error.code : 'failed', message: (error as Error).message } };
  }
}

/** One update request line → one answer, for tests that serve only these verbs on a socket; never throws. */
export async function answerUpdate(line: string, env: UpdateHelperEnv): Promise<UpdateAnswer> {
  let req: { verb?: unknown; args?: unknown };
  try {
    req = JSON.parse(line) as typeof req;
  } catch {
    return { ok: false, error: { code: 'bad_request', message: 'The request is not JSON.' } };
  }
  if (typeof req !== 'object' || req === null || Object.keys(req).some((k) => k !== 'verb' && k !== 'args') || !isUpdateVerb(req.verb)) {
    return { ok: false, error: { code: 'bad_request', message: `verbs: ${UPDATE_VERBS.join(', ')}` } };
  }
  return answerUpdateVerb(req.verb, req.args, env);
}
