// The root helper's disk verbs (issue 17 item 3). The helper's sandbox has no device access and no
// mount syscalls, so everything that reads or writes a disk runs as a transient systemd unit started
// here, as the settings verbs do (provisioning/disks-job.ts):
//   disks_list      runs `disks-job.js list` and waits for its JSON (--wait --pipe: listing is fast);
//   disks_prepare, disks_import, disks_export, disks_eject
//                   validate the request, check it against the disks connected now (the refusals are
//                   answered at once, in words), write the job file and start the job (--no-block);
//                   they answer {id}; one job at a time (busy);
//   disks_job       a job's progress, from the file the job replaces at each step.
// Every request is strict (unknown keys refused); device paths follow disks.ts's rules, which never
// accept the SD card (mmcblk*) nor anything but a device name.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { DISKS_ENTRY, DISKS_STATE_DIR } from '../contract.js';
import { initialProgress, jobId, JobStore, workspaceFolder, type JobCommand, type JobFile, type JobProgress } from '../disks-job.js';
import { ejectDiskPath, partitionPath, prepareRefusal, STICK_FS_TYPES, WRITABLE_FS_TYPES, wholeDiskPath, type Disk } from './disks.js';
import { HelperError, oneAtATime, run, type Answer, type HelperEnv } from './env.js';

export const DISK_VERBS = ['disks_list', 'disks_prepare', 'disks_import', 'disks_export', 'disks_eject', 'disks_job'] as const;
export type DiskVerb = (typeof DISK_VERBS)[number];

/** Who asked (the admin's username), for the job file and the journal; optional. */
const by = z.string().min(1).max(64).optional();

export const diskSchemas = {
  disks_list: z.strictObject({}),
  disks_prepare: z.strictObject({ disk: z.string().max(300), confirm: z.string().max(300), by }),
  disks_import: z.strictObject({ partition: z.string().max(300), folder: z.string().max(1024), by }),
  disks_export: z.strictObject({ partition: z.string().max(300), folder: z.string().max(1024), by }),
  disks_eject: z.strictObject({ disk: z.string().max(300), by }),
  disks_job: z.strictObject({ id: z.string().max(64) }),
} satisfies Record<DiskVerb, z.ZodType>;

/** What the disk verbs need beyond HelperEnv (systemdRun, systemctl, nodeBin, now, timeoutMs come from it). */
export interface DiskEnv {
  disksEntry: string;
  disksDir: string;
  /** How long disks_list waits for the listing unit. */
  listTimeoutMs: number;
}

export function diskEnv(env: NodeJS.ProcessEnv = process.env): DiskEnv {
  return {
    disksEntry: env.HCD_HELPER_DISKS_ENTRY || DISKS_ENTRY,
    disksDir: env.HCD_HELPER_DISKS_DIR || DISKS_STATE_DIR,
    listTimeoutMs: 60_000,
  };
}

export type DiskHelperEnv = HelperEnv & DiskEnv;

export const JOB_UNIT = 'homedrive-disks';

function parse<T>(schema: z.ZodType<T>, value: unknown, code: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first && first.path.length ? ` (at ${first.path.join('.')})` : '';
    throw new HelperError(code, `${first?.message ?? 'invalid request'}${where}`);
  }
  return r.data;
}

/** The connected disks, listed by `disks-job.js list` in a transient unit (lsblk, findmnt, blkid -p need the devices). */
export async function listConnected(env: DiskHelperEnv): Promise<Disk[]> {
  const unit = `${JOB_UNIT}-list-${randomBytes(4).toString('hex')}`;
  const r = await run(
    env.systemdRun,
    ['--quiet', '--collect', '--wait', '--pipe', `--unit=${unit}`, '--description=Home Container Drive: list the disks', env.nodeBin, env.disksEntry, 'list'],
    env.listTimeoutMs,
  );
  if (r.code !== 0)
    throw new HelperError(
      'list_failed',
      `The disks could not be listed: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' / ') || `exit code ${r.code}`}`,
    );
  try {
    const disks = JSON.parse(r.stdout) as unknown;
    if (!Array.isArray(disks)) throw new Error('not a list');
    return disks as Disk[];
  } catch {
    throw new HelperError('list_failed', 'The disks could not be listed: the listing printed something that is not a JSON list');
  }
}

const ALIVE = new Set(['active', 'activating', 'deactivating', 'reloading']);
/** A job started with --no-block may not be known to systemd for a moment: queued this recently, it counts as alive. */
const QUEUED_GRACE_MS = 15_000;

export function jobUnit(command: JobCommand, id: string): string {
  return `${JOB_UNIT}-${command}-${id}`;
}

/**
 * A job's progress as the admin should see it: one still marked queued or running whose unit is gone
 * (the Pi restarted, the unit was killed) is failed, and written so, so that it no longer holds the
 * drive busy.
 */
async function settled(p: JobProgress, store: JobStore, env: DiskHelperEnv): Promise<JobProgress> {
  if (p.state !== 'queued' && p.state !== 'running') return p;
  const r = await run(env.systemctl, ['is-active', jobUnit(p.command, p.id)], env.timeoutMs);
  if (ALIVE.has(r.stdout.trim())) return p;
  if (p.state === 'queued' && env.now().getTime() - Date.parse(p.startedAt) < QUEUED_GRACE_MS) return p;
  // Read again: the job may have finished between the first read and the question.
  const again = (await store.readProgress(p.id)) ?? p;
  if (again.state !== 'queued' && again.state !== 'running') return again;
  const failed: JobProgress = {
    ...again,
    state: 'failed',
    error: { code: 'interrupted', message: `The ${p.command} of ${p.target} stopped before it finished (the drive restarted?)` },
    finishedAt: env.now().toISOString(),
  };
  await store.writeProgress(failed);
  return failed;
}

async function runningJob(store: JobStore, env: DiskHelperEnv): Promise<JobProgress | null> {
  for (const p of await store.all()) {
    const s = await settled(p, store, env);
    if (s.state === 'queued' || s.state === 'running') return s;
  }
  return null;
}

/**
 * Runs `check` then `start` one request at a time (the helper runs one process per connection): the
 * check that no job is running and the record of the new one happen under one lock, so two admins
 * pressing "Préparer" together start one job and the other is told busy.
 */
async function whenIdle(store: JobStore, env: DiskHelperEnv, check: () => Promise<JobFile>): Promise<{ id: string }> {
  return oneAtATime(path.join(env.disksDir, 'start.lock'), 'Another disk job is being started: wait for it to finish.', async () => {
    const busy = await runningJob(store, env);
    if (busy) throw new HelperError('busy', `Another disk job is running (${busy.command} of ${busy.target}, ${busy.step}): wait for it to finish.`);
    return start(await check(), store, env);
  });
}

function findDisk(all: Disk[], diskPath: string): Disk {
  const d = all.find((x) => x.path === diskPath);
  if (!d) throw new HelperError('bad_disk', `No disk ${diskPath} is connected`);
  return d;
}

function findPartition(all: Disk[], partition: string) {
  for (const disk of all) {
    const part = disk.partitions.find((p) => p.path === partition);
    if (part) return { disk, part };
  }
  throw new HelperError('bad_disk', `No partition ${partition} is connected`);
}

function notOurs(disk: Disk, what: string): void {
  if (disk.role === 'system')
    throw new HelperError('system_disk', `${what} is on ${disk.displayName}, the SD card that holds the system: never touched from here`);
  if (disk.role === 'storage') throw new HelperError('storage_disk', `${what} is on ${disk.displayName}, which holds the drive's storage: not from here`);
}

const normalise = (s: string) => s.trim().replace(/\s+/g, ' ');

async function start(job: JobFile, store: JobStore, env: DiskHelperEnv): Promise<{ id: string }> {
  await store.writeJob(job);
  await store.writeProgress(initialProgress(job, env.now()));
  const r = await run(
    env.systemdRun,
    [
      '--quiet',
      '--collect',
      '--no-block',
      `--unit=${jobUnit(job.command, job.id)}`,
      `--description=Home Container Drive: ${job.command} ${'disk' in job ? job.disk : job.partition}`,
      env.nodeBin,
      env.disksEntry,
      job.command,
      job.id,
    ],
    env.timeoutMs,
  );
  if (r.code !== 0) {
    const message = `systemd-run could not start the ${job.command}: ${(r.stderr || r.stdout).trim() || `exit code ${r.code}`}`;
    await store.writeProgress({
      ...initialProgress(job, env.now()),
      state: 'failed',
      error: { code: 'start_failed', message },
      finishedAt: env.now().toISOString(),
    });
    throw new HelperError('start_failed', message);
  }
  process.stderr.write(`hcd-helper: disks ${job.command} ${job.id} started by ${job.by}\n`);
  return { id: job.id };
}

function newJob(env: DiskHelperEnv, byWho: string | undefined) {
  return { id: randomBytes(8).toString('hex'), by: byWho ?? 'admin', createdAt: env.now().toISOString() };
}

export interface DisksListResult {
  disks: Disk[];
  /** The job running now, or the last one (its outcome), or null. */
  job: JobProgress | null;
}

/** One disk verb, its arguments validated here (strict). Throws HelperError with a code the daemon maps. */
export async function handleDiskVerb(verb: DiskVerb, args: unknown, env: DiskHelperEnv): Promise<unknown> {
  const store = new JobStore(env.disksDir);
  switch (verb) {
    case 'disks_list': {
      parse(diskSchemas.disks_list, args ?? {}, 'bad_request');
      const disks = await listConnected(env);
      const all = await store.all();
      const job = all[0] ? await settled(all[0], store, env) : null;
      return { disks, job } satisfies DisksListResult;
    }
    case 'disks_job': {
      const { id } = parse(diskSchemas.disks_job, args, 'bad_request');
      parse(jobId, id, 'bad_request');
      const p = await store.readProgress(id);
      if (!p) throw new HelperError('no_job', `No disk job ${id}`);
      return settled(p, store, env);
    }
    case 'disks_prepare': {
      const a = parse(diskSchemas.disks_prepare, args, 'bad_request');
      const disk = parse(wholeDiskPath, a.disk, 'bad_disk');
      return whenIdle(store, env, async () => {
        const all = await listConnected(env);
        const d = findDisk(all, disk);
        const refused = prepareRefusal(d, all);
        if (refused) throw new HelperError(refused.code, refused.message);
        if (normalise(a.confirm) !== normalise(d.displayName))
          throw new HelperError(
            'wrong_confirmation',
            `To erase ${d.displayName}, type its name exactly: "${d.displayName}" (got "${a.confirm.slice(0, 100)}")`,
          );
        return { ...newJob(env, a.by), command: 'prepare', disk, confirm: a.confirm };
      });
    }
    case 'disks_import':
    case 'disks_export': {
      const a = parse(diskSchemas[verb], args, 'bad_request');
      const partition = parse(partitionPath, a.partition, 'bad_disk');
      const folder = parse(workspaceFolder, a.folder, 'bad_folder');
      return whenIdle(store, env, async () => {
        const { disk, part } = findPartition(await listConnected(env), partition);
        notOurs(disk, partition);
        const types = verb === 'disks_import' ? STICK_FS_TYPES : WRITABLE_FS_TYPES;
        if (!part.fsType || !types.includes(part.fsType))
          throw new HelperError(
            'unsupported_fs',
            `${partition} (${disk.displayName}) holds ${part.fsType ?? 'no known file system'}: ${verb === 'disks_import' ? 'an import reads' : 'an export writes'} only ${types.join(', ')}`,
          );
        if (part.mountpoint) throw new HelperError('mounted', `${partition} (${disk.displayName}) is mounted at ${part.mountpoint}: eject it first`);
        if (verb === 'disks_export' && disk.readOnly) throw new HelperError('read_only', `${disk.displayName} is read-only (a write-protect switch?)`);
        const command = verb === 'disks_import' ? 'import' : 'export';
        return { ...newJob(env, a.by), command, partition, folder };
      });
    }
    case 'disks_eject': {
      const a = parse(diskSchemas.disks_eject, args, 'bad_request');
      const disk = parse(ejectDiskPath, a.disk, 'bad_disk');
      return whenIdle(store, env, async () => {
        const d = findDisk(await listConnected(env), disk);
        notOurs(d, disk);
        return { ...newJob(env, a.by), command: 'eject', disk };
      });
    }
  }
}

export function isDiskVerb(v: unknown): v is DiskVerb {
  return typeof v === 'string' && (DISK_VERBS as readonly string[]).includes(v);
}

/**
 * A parsed request line → its answer when it is a disk verb, null otherwise: the one line verbs.ts's
 * handle() needs, after JSON.parse: `const disk = await diskAnswer(json, env); if (disk) return disk;`.
 * The DiskEnv fields missing from `env` come from the process's environment (diskEnv).
 */
export async function diskAnswer(json: unknown, env: HelperEnv & Partial<DiskEnv>): Promise<{ verb: string; answer: Answer } | null> {
  const req = json as { verb?: unknown; args?: unknown } | null;
  if (!req || typeof req !== 'object' || !isDiskVerb(req.verb)) return null;
  const verb = req.verb;
  const extra = Object.keys(req).filter((k) => k !== 'verb' && k !== 'args');
  if (extra.length)
    return { verb, answer: { ok: false, error: { code: 'bad_request', message: `Unrecognized key(s) in object: ${extra.map((k) => `'${k}'`).join(', ')}` } } };
  try {
    const full: DiskHelperEnv = { ...diskEnv(), ...env } as DiskHelperEnv;
    return { verb, answer: { ok: true, result: await handleDiskVerb(verb, req.args ?? {}, full) } };
  } catch (err) {
    const code = err instanceof HelperError ? err.code : 'failed';
    return { verb, answer: { ok: false, error: { code, message: err instanceof Error ? err.message : String(err) } } };
  }
}
