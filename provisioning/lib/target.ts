// The root filesystem being provisioned: writes only what changes, with explicit modes, and records every change.
import { constants } from 'node:fs';
import { chmod, chown, lstat, mkdir, open, readFile, readlink, realpath, rename, rm, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { lookupGid, lookupUid } from './accounts.js';
import { lineDiff } from './diff.js';

export type ChangeKind = 'created' | 'updated' | 'unchanged' | 'removed' | 'ran' | 'note';

export interface Change {
  kind: ChangeKind;
  /** A path inside the root, or a unit or command name. */
  subject: string;
  detail?: string;
  diff?: string[];
}

export interface FileOptions {
  /** Omitted: the filesystem decides (FAT has no modes or owners, and chmod there fails). */
  mode?: number;
  owner?: string;
  group?: string;
  /** Content is never printed (passphrases, the base config). */
  secret?: boolean;
  /** Written only when absent: a file people edit afterwards (the first-boot file). */
  createOnly?: boolean;
  /** systemd units to restart on a live system when this file changes. */
  restarts?: string[];
}

export class Target {
  readonly changes: Change[] = [];
  readonly restarts = new Set<string>();
  private realRoot: string | undefined;

  constructor(
    readonly root: string,
    readonly dryRun: boolean,
  ) {}

  get live(): boolean {
    return path.resolve(this.root) === '/';
  }

  record(change: Change): void {
    this.changes.push(change);
  }

  note(subject: string, detail: string): void {
    this.record({ kind: 'note', subject, detail });
  }

  /** Host path of an absolute in-root path; refuses anything that resolves outside the root (absolute symlinks). */
  async resolve(inRoot: string): Promise<string> {
    if (!path.posix.isAbsolute(inRoot)) throw new Error(`not an absolute path: ${inRoot}`);
    this.realRoot ??= await realpath(this.root);
    const host = path.join(this.realRoot, inRoot);
    // Check the deepest existing ancestor, since the file itself may not exist yet.
    let probe = path.dirname(host);
    for (;;) {
      try {
        const real = await realpath(probe);
        const rel = path.relative(this.realRoot, real);
        if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${inRoot} resolves outside the root ${this.root}`);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        probe = path.dirname(probe);
      }
    }
    return host;
  }

  async readText(inRoot: string): Promise<string | null> {
    try {
      return await readFile(await this.resolve(inRoot), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async exists(inRoot: string): Promise<boolean> {
    try {
      await lstat(await this.resolve(inRoot));
      return true;
    } catch {
      return false;
    }
  }

  private async ids(owner: string, group: string, subject: string): Promise<{ uid: number; gid: number } | null> {
    const uid = await lookupUid(this.root, owner);
    const gid = await lookupGid(this.root, group);
    if (uid === null || gid === null) {
      // In a dry run the account may be one that an earlier step would have created.
      if (this.dryRun) return null;
      throw new Error(`${subject}: unknown ${uid === null ? `user ${owner}` : `group ${group}`} in ${this.root}`);
    }
    return { uid, gid };
  }

  async ensureDir(inRoot: string, opts: { mode: number; owner?: string; group?: string }): Promise<void> {
    const host = await this.resolve(inRoot);
    const owner = opts.owner ?? 'root';
    const group = opts.group ?? 'root';
    const ids = await this.ids(owner, group, inRoot);
    const st = await lstat(host).catch(() => null);
    if (st && !st.isDirectory()) throw new Error(`${inRoot} exists and is not a directory`);
    const want = `${owner}:${group} ${octal(opts.mode)}`;
    if (st && (st.mode & 0o7777) === opts.mode && (!ids || (st.uid === ids.uid && st.gid === ids.gid))) {
      this.record({ kind: 'unchanged', subject: `${inRoot}/` });
      return;
    }
    this.record({ kind: st ? 'updated' : 'created', subject: `${inRoot}/`, detail: `directory ${want}` });
    if (this.dryRun) return;
    await mkdir(host, { recursive: true, mode: 0o755 });
    await chmod(host, opts.mode);
    if (ids) await chown(host, ids.uid, ids.gid);
  }

  async writeFile(inRoot: string, content: string, opts: FileOptions): Promise<boolean> {
    const host = await this.resolve(inRoot);
    const owner = opts.owner ?? 'root';
    const group = opts.group ?? 'root';
    const st = await lstat(host).catch(() => null);
    if (st?.isSymbolicLink()) throw new Error(`${inRoot} is a symbolic link; refusing to write through it`);
    if (st && !st.isFile()) throw new Error(`${inRoot} exists and is not a regular file`);
    if (st && opts.createOnly) {
      this.record({ kind: 'unchanged', subject: inRoot, detail: 'kept: edited by people after provisioning' });
      return false;
    }
    const ids = opts.mode === undefined ? null : await this.ids(owner, group, inRoot);
    const before = st ? await readFile(host, 'utf8') : null;
    const sameContent = before === content;
    const sameMeta = st !== null && (opts.mode === undefined || ((st.mode & 0o7777) === opts.mode && (!ids || (st.uid === ids.uid && st.gid === ids.gid))));
    if (sameContent && sameMeta) {
      this.record({ kind: 'unchanged', subject: inRoot });
      return false;
    }
    const meta = opts.mode === undefined ? 'mode set by the filesystem' : `${owner}:${group} ${octal(opts.mode)}`;
    let diff: string[] | undefined;
    if (!sameContent) {
      if (opts.secret) diff = ['(content not shown: it holds secrets)'];
      else
        diff =
          before === null
            ? content
                .replace(/\n$/, '')
                .split('\n')
                .map((l) => `+ ${l}`)
            : lineDiff(before, content);
    }
    this.record({
      kind: before === null ? 'created' : 'updated',
      subject: inRoot,
      detail: sameContent ? `mode/owner now ${meta}` : meta,
      ...(diff ? { diff } : {}),
    });
    for (const unit of opts.restarts ?? []) this.restarts.add(unit);
    if (this.dryRun) return true;
    await mkdir(path.dirname(host), { recursive: true, mode: 0o755 });
    // Temp file + fsync + rename: a power cut leaves the old or the new file, never half of one.
    const temp = `${host}.hcd-tmp-${process.pid}`;
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
    try {
      await handle.writeFile(content, 'utf8');
      if (opts.mode !== undefined) await handle.chmod(opts.mode);
      if (ids) await handle.chown(ids.uid, ids.gid);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, host);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return true;
  }

  /** A symlink whose target is taken literally (like `ln -s`); replaces a file or a different link. */
  async symlink(inRoot: string, linkTarget: string, restarts: string[] = []): Promise<void> {
    const host = await this.resolve(inRoot);
    const st = await lstat(host).catch(() => null);
    if (st?.isSymbolicLink() && (await readlink(host)) === linkTarget) {
      this.record({ kind: 'unchanged', subject: inRoot });
      return;
    }
    if (st?.isDirectory()) throw new Error(`${inRoot} is a directory; refusing to replace it with a link`);
    this.record({ kind: st ? 'updated' : 'created', subject: inRoot, detail: `-> ${linkTarget}` });
    for (const unit of restarts) this.restarts.add(unit);
    if (this.dryRun) return;
    await mkdir(path.dirname(host), { recursive: true, mode: 0o755 });
    if (st) await unlink(host);
    await symlink(linkTarget, host);
  }

  /** Removes a file or link (never what a link points to); a directory only with `recursive` (the image's clean-up). */
  async remove(inRoot: string, opts: { recursive?: boolean } = {}): Promise<void> {
    const host = await this.resolve(inRoot);
    const st = await lstat(host).catch(() => null);
    if (!st) return;
    this.record({ kind: 'removed', subject: st.isDirectory() ? `${inRoot}/` : inRoot });
    if (!this.dryRun) await rm(host, { recursive: opts.recursive ?? false, force: true });
  }
}

export function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}
