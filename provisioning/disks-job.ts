// Disks from the admin console (issue 17 item 3): the program the root helper starts as a transient
// systemd unit, because the helper's own sandbox has no device access and no mount syscalls.
//   `disks-job.js list`            prints the connected disks (listDisks) as JSON on standard output;
//   `disks-job.js prepare <id>`    erases a disk and makes it the drive's storage (ext4 HOMEDRIVE);
//   `disks-job.js import <id>`     copies a stick's partition (mounted read-only) into the workspace;
//   `disks-job.js export <id>`     copies a workspace folder onto a FAT/exFAT stick;
//   `disks-job.js eject <id>`      unmounts and stops a USB disk.
// A job's arguments are read from <state>/jobs/<id>.json, written by the helper after validating them
// (never from the command line), and its progress goes to <state>/jobs/<id>.progress.json, replaced
// atomically (rename) at each report, which the helper's disks_job verb reads.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { DATA_ROOT, DISKS_STATE_DIR, SERVICE_USER } from './contract.js';
import { writeJsonAtomic } from './lib/json-file.js';
import {
  copyTree,
  DiskError,
  eject,
  execRun,
  listDisks,
  mountReadOnly,
  mountWritable,
  prepareDisk,
  unmount,
  type Disk,
  type DiskDeps,
  type UsbDeps,
} from './helper/disks.js';
import { escapeUnitPath } from './lib/systemd.js';

export const JOB_COMMANDS = ['prepare', 'import', 'export', 'eject'] as const;
export type JobCommand = (typeof JOB_COMMANDS)[number];

/** A job's id: what the helper generates (hex), and nothing a path could be built from otherwise. */
export const jobId = z.string().regex(/^[0-9a-f]{8,32}$/, 'a job id is 8 to 32 hexadecimal digits');

const SEGMENT = /^[^/\\\u0000-\u001f\u007f]{1,255}$/;

/**
 * A folder of the workspace, relative ("Photos/Sortie 2026"): 1 to 8 names separated by "/", none
 * empty, "." or "..", none with a backslash or a control character, none starting or ending with a
 * space. Refused in words, naming what was sent.
 */
export const workspaceFolder = z
  .string()
  .max(1024)
  .superRefine((v, ctx) => {
    const parts = v.split('/');
    const bad = v === '' || parts.length > 8 || parts.some((p) => !SEGMENT.test(p) || p === '.' || p === '..' || p.trim() !== p || Buffer.byteLength(p) > 255);
    if (bad)
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(v.slice(0, 80))} is not a folder of the workspace: give 1 to 8 folder names separated by "/", without "..", "." or a leading "/"`,
      });
  });

/** What the helper writes to <state>/jobs/<id>.json. */
export const jobFile = z.discriminatedUnion('command', [
  z.strictObject({ id: jobId, command: z.literal('prepare'), by: z.string(), createdAt: z.string(), disk: z.string(), confirm: z.string() }),
  z.strictObject({ id: jobId, command: z.literal('import'), by: z.string(), createdAt: z.string(), partition: z.string(), folder: workspaceFolder }),
  z.strictObject({ id: jobId, command: z.literal('export'), by: z.string(), createdAt: z.string(), partition: z.string(), folder: workspaceFolder }),
  z.strictObject({ id: jobId, command: z.literal('eject'), by: z.string(), createdAt: z.string(), disk: z.string() }),
]);
export type JobFile = z.infer<typeof jobFile>;

export type JobState = 'queued' | 'running' | 'done' | 'failed';

/** What <state>/jobs/<id>.progress.json holds, and the disks_job verb answers. */
export interface JobProgress {
  id: string;
  command: JobCommand;
  state: JobState;
  /** prepare: wipe, partition, format, mount; import/export: mount, scan, copy, sync, unmount; eject: eject. */
  step: string;
  /** The disk or partition the job works on. */
  target: string;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  /** Symbolic links and special files not copied (relative paths, at most 50 listed). */
  skipped: string[];
  skippedCount: number;
  /** Names taken already at the destination, copied under a numbered name. */
  renamedCount: number;
  /** Where the files went: the workspace folder (import) or the folder on the stick (export). */
  destination: string | null;
  /** Anything the admin should know that is not a failure (the storage did not mount by itself…). */
  note: string | null;
  error: { code: string; message: string } | null;
  startedAt: string;
  finishedAt: string | null;
}

export class JobStore {
  constructor(readonly dir: string = DISKS_STATE_DIR) {}

  get jobsDir(): string {
    return path.join(this.dir, 'jobs');
  }

  jobPath(id: string): string {
    return path.join(this.jobsDir, `${jobId.parse(id)}.json`);
  }

  progressPath(id: string): string {
    return path.join(this.jobsDir, `${jobId.parse(id)}.progress.json`);
  }

  async readJob(id: string): Promise<JobFile> {
    let raw: unknown;
    try {
      raw = JSON.parse(await fs.readFile(this.jobPath(id), 'utf8'));
    } catch (err) {
      throw new DiskError('no_job', `No disk job ${id}: ${(err as Error).message}`);
    }
    const r = jobFile.safeParse(raw);
    if (!r.success || r.data.id !== id) throw new DiskError('bad_job', `The disk job file ${this.jobPath(id)} is not valid`);
    return r.data;
  }

  async readProgress(id: string): Promise<JobProgress | null> {
    try {
      return JSON.parse(await fs.readFile(this.progressPath(id), 'utf8')) as JobProgress;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  writeJob(job: JobFile): Promise<void> {
    return this.write(this.jobPath(job.id), job);
  }

  writeProgress(p: JobProgress): Promise<void> {
    return this.write(this.progressPath(p.id), p);
  }

  /** Every job's progress, newest first. */
  async all(): Promise<JobProgress[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.jobsDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: JobProgress[] = [];
    for (const n of names) {
      const m = /^([0-9a-f]{8,32})\.progress\.json$/.exec(n);
      if (!m) continue;
      const p = await this.readProgress(m[1]!).catch(() => null);
      if (p) out.push(p);
    }
    return out.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
  }

  // Progress is rewritten often and only informs the console: not flushed.
  private write(file: string, value: unknown): Promise<void> {
    return writeJsonAtomic(file, value, { sync: false });
  }
}

export function initialProgress(job: JobFile, now: Date): JobProgress {
  return {
    id: job.id,
    command: job.command,
    state: 'queued',
    step: 'queued',
    target: 'disk' in job ? job.disk : job.partition,
    bytesDone: 0,
    bytesTotal: 0,
    filesDone: 0,
    filesTotal: 0,
    skipped: [],
    skippedCount: 0,
    renamedCount: 0,
    destination: null,
    note: null,
    error: null,
    startedAt: now.toISOString(),
    finishedAt: null,
  };
}

export interface JobDeps {
  store: JobStore;
  /** The storage's mount point (DATA_ROOT); the workspace is <dataRoot>/workspace. */
  dataRoot?: string;
  /** Refuse to import when dataRoot is not a mount point (the SSD missing: the files would land on the SD card). Default true. */
  requireMount?: boolean;
  /** Owner of what an import creates (default: the homedrive user, from /etc/passwd). */
  owner?: { uid: number; gid: number };
  /** Device access, mounts and the path rules (the root test passes loop device rules). */
  usb?: UsbDeps;
  disk?: DiskDeps;
  /** Starts the storage mount after a prepare (default: systemctl start srv-homedrive.mount). */
  startStorageMount?: () => Promise<string | null>;
  now?: () => Date;
  log?: (line: string) => void;
}

/** The homedrive user's uid and gid from /etc/passwd. */
export async function serviceOwner(passwd = '/etc/passwd'): Promise<{ uid: number; gid: number }> {
  for (const line of (await fs.readFile(passwd, 'utf8')).split('\n')) {
    const f = line.split(':');
    if (f[0] === SERVICE_USER && /^\d+$/.test(f[2] ?? '') && /^\d+$/.test(f[3] ?? '')) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new DiskError('no_user', `The ${SERVICE_USER} user does not exist: nothing is imported that the drive could not serve`);
}

async function isMountPoint(dir: string): Promise<boolean> {
  try {
    const [a, b] = await Promise.all([fs.stat(dir), fs.stat(path.dirname(dir))]);
    return a.dev !== b.dev || a.ino === b.ino;
  } catch {
    return false;
  }
}

/** <dataRoot>/workspace resolved, and `folder` inside it; a folder whose real path leaves the workspace (a symbolic link) is refused. */
async function insideWorkspace(dataRoot: string, folder: string): Promise<{ workspace: string; target: string }> {
  const checked = workspaceFolder.safeParse(folder);
  if (!checked.success) throw new DiskError('bad_folder', checked.error.issues[0]?.message ?? 'invalid folder');
  const workspace = await fs.realpath(path.join(dataRoot, 'workspace')).catch(() => {
    throw new DiskError('no_workspace', `The workspace ${path.join(dataRoot, 'workspace')} does not exist: is the storage mounted?`);
  });
  return { workspace, target: path.join(workspace, folder) };
}

function within(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Creates each missing folder of `folder` under the workspace, owned by `owner`; refuses a step that is a link or leaves it. */
async function makeFolder(workspace: string, folder: string, owner: { uid: number; gid: number }): Promise<string> {
  let at = workspace;
  for (const name of folder.split('/')) {
    at = path.join(at, name);
    try {
      await fs.mkdir(at, { mode: 0o750 });
      await fs.lchown(at, owner.uid, owner.gid);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const st = await fs.lstat(at);
      if (!st.isDirectory()) throw new DiskError('bad_folder', `${path.relative(workspace, at)} exists in the workspace and is not a folder`);
    }
  }
  const real = await fs.realpath(at);
  if (!within(workspace, real)) throw new DiskError('bad_folder', `${folder} leads out of the workspace`);
  return real;
}

function partitionOfList(all: Disk[], partition: string) {
  for (const d of all) {
    const p = d.partitions.find((x) => x.path === partition);
    if (p) return { disk: d, part: p };
  }
  return null;
}

/** Runs one job, reporting into its progress file; never throws (the outcome is in the file). */
export async function runJob(command: JobCommand, id: string, deps: JobDeps): Promise<JobProgress> {
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? (() => {});
  const { store } = deps;
  let job: JobFile | null = null;
  let p: JobProgress;
  try {
    job = await store.readJob(id);
    if (job.command !== command) throw new DiskError('bad_job', `Disk job ${id} is a ${job.command}, not a ${command}`);
    p = { ...((await store.readProgress(id)) ?? initialProgress(job, now())), state: 'running', step: 'start' };
  } catch (err) {
    const e = err instanceof DiskError ? err : new DiskError('failed', (err as Error).message);
    p = {
      ...initialProgress({ id, command: 'eject', by: '', createdAt: '', disk: '' }, now()),
      command,
      state: 'failed',
      error: { code: e.code, message: e.message },
      finishedAt: now().toISOString(),
    };
    await store.writeProgress(p).catch(() => {});
    return p;
  }
  let lastWrite = Promise.resolve();
  const report = (patch: Partial<JobProgress>) => {
    p = { ...p, ...patch };
    const snapshot = p;
    lastWrite = lastWrite.then(() => store.writeProgress(snapshot)).catch(() => {});
    return lastWrite;
  };
  await report({});
  const usb: UsbDeps = { run: execRun, ...deps.usb };
  const listing = deps.usb?.listDisks ?? deps.disk?.listDisks ?? (() => listDisks(usb.run));
  usb.listDisks = listing;
  try {
    switch (job.command) {
      case 'prepare': {
        await prepareDisk(
          { disk: job.disk, confirm: job.confirm },
          { run: usb.run, listDisks: listing, ...deps.disk },
          (pp) => void report({ step: pp.step === 'done' ? 'mount' : pp.step }),
        );
        const start =
          deps.startStorageMount ??
          (() =>
            new Promise<string | null>((resolve) =>
              execFile('systemctl', ['start', `${escapeUnitPath(DATA_ROOT)}.mount`], { timeout: 60_000 }, (err, _o, stderr) =>
                resolve(err ? `The new storage did not mount by itself: ${String(stderr).trim() || err.message}` : null),
              ),
            ));
        const note = await start();
        await report({ note });
        break;
      }
      case 'import': {
        const dataRoot = deps.dataRoot ?? DATA_ROOT;
        if ((deps.requireMount ?? true) && !(await isMountPoint(dataRoot)))
          throw new DiskError('no_storage', `The storage is not mounted at ${dataRoot}: nothing is imported onto the SD card`);
        const { workspace } = await insideWorkspace(dataRoot, job.folder);
        const owner = deps.owner ?? (await serviceOwner());
        const found = partitionOfList(await listing(), job.partition);
        if (!found) throw new DiskError('not_found', `No partition ${job.partition} is connected`);
        if (!found.part.fsType) throw new DiskError('unsupported_fs', `${job.partition} has no file system the drive knows`);
        await report({ step: 'mount' });
        const m = await mountReadOnly(job.partition, found.part.fsType, usb);
        try {
          const dest = await makeFolder(workspace, job.folder, owner);
          await report({ step: 'copy', destination: job.folder });
          const r = await copyTree(
            m.mountpoint,
            dest,
            (c) => void report({ bytesDone: c.bytesCopied, bytesTotal: c.bytesTotal, filesDone: c.filesCopied, filesTotal: c.filesTotal }),
            {
              owner,
            },
          );
          await report({
            skipped: r.skipped.slice(0, 50).map((s) => s.path),
            skippedCount: r.skipped.length,
            renamedCount: r.renamed.length,
            bytesDone: r.bytes,
            filesDone: r.files,
          });
        } finally {
          await report({ step: 'unmount' });
          await unmount(job.partition, usb);
        }
        break;
      }
      case 'export': {
        const dataRoot = deps.dataRoot ?? DATA_ROOT;
        const { workspace, target } = await insideWorkspace(dataRoot, job.folder);
        const source = await fs.realpath(target).catch(() => {
          throw new DiskError('bad_folder', `The workspace has no folder ${job!.command === 'export' ? job!.folder : ''}`);
        });
        if (!within(workspace, source) || !(await fs.stat(source)).isDirectory())
          throw new DiskError('bad_folder', `${job.folder} is not a folder of the workspace`);
        const found = partitionOfList(await listing(), job.partition);
        if (!found) throw new DiskError('not_found', `No partition ${job.partition} is connected`);
        await report({ step: 'mount' });
        const m = await mountWritable(job.partition, found.part.fsType ?? 'none', usb);
        try {
          const dest = path.join(m.mountpoint, path.basename(job.folder));
          await report({ step: 'copy', destination: path.basename(job.folder) });
          const r = await copyTree(
            source,
            dest,
            (c) => void report({ bytesDone: c.bytesCopied, bytesTotal: c.bytesTotal, filesDone: c.filesCopied, filesTotal: c.filesTotal }),
          );
          await report({
            skipped: r.skipped.slice(0, 50).map((s) => s.path),
            skippedCount: r.skipped.length,
            renamedCount: r.renamed.length,
            bytesDone: r.bytes,
            filesDone: r.files,
            destination: path.relative(m.mountpoint, dest),
          });
          await report({ step: 'sync' });
          const s = await (usb.run ?? execRun)('sync', ['--file-system', m.mountpoint], { timeoutMs: 30 * 60_000 });
          if (s.code !== 0) throw new DiskError('sync_failed', `${job.partition}: sync failed: ${s.stderr.trim()}`);
        } finally {
          await report({ step: 'unmount' });
          await unmount(job.partition, usb);
        }
        break;
      }
      case 'eject':
        await report({ step: 'eject' });
        await eject(job.disk, usb);
        break;
    }
    await report({ state: 'done', step: 'done', finishedAt: now().toISOString() });
    log(`disks ${command} ${id}: done`);
  } catch (err) {
    const e = err instanceof DiskError ? err : new DiskError('failed', (err as Error).message);
    await report({ state: 'failed', error: { code: e.code, message: e.message }, finishedAt: now().toISOString() });
    log(`disks ${command} ${id}: failed: ${e.message}`);
  }
  await lastWrite;
  return p;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [command, id] = process.argv.slice(2);
  const log = (line: string) => console.error(line);
  let work: Promise<number>;
  if (command === 'list') {
    work = listDisks().then((disks) => (process.stdout.write(`${JSON.stringify(disks)}\n`), 0));
  } else if ((JOB_COMMANDS as readonly string[]).includes(command ?? '') && jobId.safeParse(id).success) {
    work = runJob(command as JobCommand, id!, { store: new JobStore(DISKS_STATE_DIR), log }).then((p) => (p.state === 'done' ? 0 : 1));
  } else work = Promise.reject(new Error('usage: disks-job.js list | prepare|import|export|eject <job id>'));
  work.then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
