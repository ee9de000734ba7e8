// Hand-in folders: an administrator collects one piece of work from each person of a roster. Each file
// handed in is kept outside every space (.hcd/handins/<id>/<random id>) and known only to its submitter
// and administrators; it gets a receipt code. The rights are policy.ts's canHandin.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { HandinItem, HandinList, HandinRoster, RosterLine, Submission } from '../api-types.js';
import type { Db } from '../db/connection.js';
import { handinQueries, type HandinFields, type HandinRow, type SubmissionRow } from '../db/queries/handins.js';
import { HttpError, badRequest, conflict, notFound } from '../errors.js';
import { canHandin, type Actor, type Ctx, type HandinAction, type HandinStanding } from '../policy/policy.js';
import type { FileStore } from '../storage/file-store.js';
import type { ZipEntry } from '../storage/zip.js';
import { validateName } from '../storage/paths.js';
import type { Audit } from './audit.js';
import type { Clock } from './clock.js';
import type { Uploads } from './uploads.js';

/** Crockford's base32, as guest links use: a receipt read aloud or copied from a phone is unambiguous. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export const MAX_TITLE_CHARS = 200;
export const MAX_INSTRUCTIONS_CHARS = 4000;

/** A receipt: 40 random bits as "7KQ2-M9XD". Unique among receipts (checked when stored). */
export function newReceipt(): string {
  const bytes = crypto.randomBytes(5);
  let n = BigInt('0x' + bytes.toString('hex'));
  let s = '';
  for (let i = 0; i < 8; i++) {
    s = ALPHABET[Number(n & 31n)]! + s;
    n >>= 5n;
  }
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}

/** What an administrator sends to create or change a hand-in (validated by the route). */
export interface HandinInput {
  title?: string;
  instructions?: string;
  /** ms since the epoch; null: no deadline. */
  deadline?: number | null;
  /** null: every account. */
  groupId?: number | null;
  closed?: boolean;
}

export interface HandinFile {
  abs: string;
  stat: fs.Stats;
  name: string;
}

export class Handins {
  readonly q;

  constructor(
    private readonly db: Db,
    private readonly store: FileStore,
    private readonly uploads: Uploads,
    private readonly audit: Audit,
    private readonly clock: Clock,
  ) {
    this.q = handinQueries(db);
  }

  private dir(id: number): string {
    return path.join(this.store.handinsDir, String(id));
  }

  // ---- who stands where -------------------------------------------------------------------------

  standing(actor: Actor, h: HandinRow, submittedTo?: Set<number>): HandinStanding {
    // A group deleted since leaves nobody on the roster (not everyone): see migration 0009.
    const member = h.group_id === null ? true : this.q.isMember(h.group_id, actor.username);
    const submitted = (submittedTo ?? this.q.submittedTo(actor.username)).has(h.id);
    return { member, submitted, closed: h.closed_at !== null, pastDeadline: h.deadline !== null && this.clock.now() > h.deadline };
  }

  /** The hand-in if the actor may `action` it; a hand-in they may not even see is as unknown as a missing one. */
  private require(actor: Actor, id: number, action: HandinAction): { h: HandinRow; s: HandinStanding } {
    const h = this.q.byId(id);
    if (!h) throw notFound(`No hand-in ${id}.`, 'no_such_handin');
    const s = this.standing(actor, h);
    if (!canHandin(actor, 'see', s)) throw notFound(`No hand-in ${id}.`, 'no_such_handin');
    if (!canHandin(actor, action, s)) {
      if (action !== 'submit') throw new HttpError('forbidden', 'Only an administrator may do this.');
      if (s.closed) throw new HttpError('handin_closed', 'This hand-in is closed: nothing more can be handed in.');
      throw new HttpError('forbidden', "Only the members of this hand-in's group hand work in here.");
    }
    return { h, s };
  }

  // ---- reading -----------------------------------------------------------------------------------

  private submission(r: SubmissionRow, h: HandinRow): Submission {
    return {
      id: r.id,
      handinId: r.handin_id,
      username: r.username,
      name: r.name,
      size: r.size,
      sha256: r.sha256,
      receipt: r.receipt,
      submittedAt: new Date(r.submitted_at).toISOString(),
      late: h.deadline !== null && r.submitted_at > h.deadline,
    };
  }

  private item(actor: Actor, h: HandinRow, s: HandinStanding): HandinItem {
    const groupName = h.group_id === null ? undefined : this.q.groupName(h.group_id);
    const admin = canHandin(actor, 'manage', s);
    const counts = admin ? this.q.counts(h.id) : null;
    const mine = this.q.own(h.id, actor.username).map((r) => this.submission(r, h));
    return {
      id: h.id,
      title: h.title,
      instructions: h.instructions,
      deadline: h.deadline === null ? null : new Date(h.deadline).toISOString(),
      group: h.group_id !== null && groupName !== undefined ? { id: h.group_id, name: groupName } : null,
      groupMissing: h.group_id !== null && groupName === undefined,
      closed: s.closed,
      pastDeadline: s.pastDeadline,
      createdBy: h.created_by,
      createdAt: new Date(h.created_at).toISOString(),
      updatedAt: new Date(h.updated_at).toISOString(),
      mine,
      canSubmit: canHandin(actor, 'submit', s),
      // For the caller's own files: administrators may always, others until the deadline.
      canWithdraw: canHandin(actor, 'withdraw', s, actor.username),
      submitters: counts ? counts.people : null,
      files: counts ? counts.files : null,
    };
  }

  /** The hand-ins the actor may see: administrators all; others those of their rosters and those they handed in to. */
  list(actor: Actor): HandinList {
    const submittedTo = this.q.submittedTo(actor.username);
    const handins: HandinItem[] = [];
    for (const h of this.q.all()) {
      const s = this.standing(actor, h, submittedTo);
      if (canHandin(actor, 'see', s)) handins.push(this.item(actor, h, s));
    }
    return { handins, now: new Date(this.clock.now()).toISOString() };
  }

  get(actor: Actor, id: number): HandinItem {
    const { h, s } = this.require(actor, id, 'see');
    return this.item(actor, h, s);
  }

  /** Every roster member with their files or none; without a group, everyone who handed something in. */
  roster(actor: Actor, id: number): HandinRoster {
    const { h, s } = this.require(actor, id, 'manage');
    const byUser = new Map<string, Submission[]>();
    for (const r of this.q.ofHandin(id)) {
      const list = byUser.get(r.username) ?? byUser.set(r.username, []).get(r.username)!;
      list.push(this.submission(r, h));
    }
    const lines: RosterLine[] = [];
    const seen = new Set<string>();
    if (h.group_id !== null) {
      for (const m of this.q.members(h.group_id)) {
        seen.add(m.username);
        lines.push({ username: m.username, displayName: m.display_name, member: true, submissions: byUser.get(m.username) ?? [] });
      }
    }
    for (const u of this.q.submitters(id)) {
      if (seen.has(u.username)) continue;
      lines.push({ username: u.username, displayName: u.display_name, member: h.group_id === null, submissions: byUser.get(u.username) ?? [] });
    }
    return { handin: this.item(actor, h, s), lines, now: new Date(this.clock.now()).toISOString() };
  }

  /** One submission's file, for its submitter or an administrator (anyone else: 404, as if it did not exist). */
  async file(actor: Actor, id: number, sid: number): Promise<HandinFile> {
    const { r } = this.requireSubmission(actor, id, sid, 'read');
    const abs = path.join(this.dir(id), r.stored);
    if (!this.store.available()) throw new HttpError('storage_unavailable', 'The storage drive is not connected.');
    const stat = await fsp.lstat(abs).catch(() => null);
    if (!stat || !stat.isFile()) throw new HttpError('gone', 'This file is no longer on the drive.');
    return { abs, stat, name: r.name };
  }

  /** The zip of every file handed in: a folder per person, each file's comment its receipt. */
  zipEntries(actor: Actor, id: number): { title: string; entries: ZipEntry[] } {
    const { h } = this.require(actor, id, 'manage');
    if (!this.store.available()) throw new HttpError('storage_unavailable', 'The storage drive is not connected.');
    const entries = this.q.ofHandin(id).map((r) => ({
      name: `${r.username}/${r.name}`,
      abs: path.join(this.dir(id), r.stored),
      type: 'file' as const,
      mtime: r.submitted_at,
      comment: `${r.receipt}${h.deadline !== null && r.submitted_at > h.deadline ? ' late' : ''}`,
    }));
    return { title: h.title, entries };
  }

  private requireSubmission(actor: Actor, id: number, sid: number, action: 'read' | 'withdraw') {
    const { h, s } = this.require(actor, id, 'see');
    const r = this.q.submission(id, sid);
    // Another person's submission is as unknown as a missing one, to all but administrators.
    if (!r || !canHandin(actor, 'read', s, r.username)) throw notFound('No such submission.', 'no_such_submission');
    if (action === 'withdraw' && !canHandin(actor, 'withdraw', s, r.username)) throw this.lockedError(s);
    return { h, s, r };
  }

  private lockedError(s: HandinStanding): HttpError {
    if (s.closed) return new HttpError('handin_closed', 'This hand-in is closed: what was handed in stays as it is.');
    return new HttpError('handin_past_deadline', 'The deadline has passed: what was handed in stays as it is (you may still hand in another file).');
  }

  // ---- the administrator's side --------------------------------------------------------------------

  private checkGroup(groupId: number | null | undefined): void {
    if (groupId !== null && groupId !== undefined && this.q.groupName(groupId) === undefined) throw notFound(`No group ${groupId}.`, 'no_such_group');
  }

  create(ctx: Ctx, input: HandinInput): HandinItem {
    if (ctx.actor.role !== 'admin') throw new HttpError('forbidden', 'Only an administrator may create a hand-in.');
    const title = (input.title ?? '').trim();
    if (!title || title.length > MAX_TITLE_CHARS) throw badRequest('invalid_handin', `A hand-in's title has 1 to ${MAX_TITLE_CHARS} characters.`);
    this.checkGroup(input.groupId);
    const now = this.clock.now();
    const fields: HandinFields = {
      title,
      instructions: (input.instructions ?? '').trim(),
      deadline: input.deadline ?? null,
      group_id: input.groupId ?? null,
      closed_at: input.closed ? now : null,
    };
    const id = this.db.transaction(() => {
      const id = this.q.insert({ ...fields, created_by: ctx.actor.username, now });
      this.audit.by(ctx, 'handin_create', `handin:${id}:${title}`, this.detail(fields));
      return id;
    })();
    return this.get(ctx.actor, id);
  }

  update(ctx: Ctx, id: number, input: HandinInput): HandinItem {
    const { h } = this.require(ctx.actor, id, 'manage');
    const title = input.title === undefined ? h.title : input.title.trim();
    if (!title || title.length > MAX_TITLE_CHARS) throw badRequest('invalid_handin', `A hand-in's title has 1 to ${MAX_TITLE_CHARS} characters.`);
    if (input.groupId !== undefined && input.groupId !== h.group_id) this.checkGroup(input.groupId);
    const now = this.clock.now();
    const fields: HandinFields = {
      title,
      instructions: input.instructions === undefined ? h.instructions : input.instructions.trim(),
      deadline: input.deadline === undefined ? h.deadline : input.deadline,
      group_id: input.groupId === undefined ? h.group_id : input.groupId,
      closed_at: input.closed === undefined ? h.closed_at : input.closed ? (h.closed_at ?? now) : null,
    };
    const changed: Record<string, unknown> = {};
    const before = this.detail(h);
    const after = this.detail(fields);
    for (const k of Object.keys(after) as (keyof typeof after)[]) if (before[k] !== after[k]) changed[k] = after[k];
    if (Object.keys(changed).length > 0) {
      this.db.transaction(() => {
        this.q.update(id, fields, now);
        this.audit.by(ctx, 'handin_update', `handin:${id}:${title}`, changed);
      })();
    }
    return this.get(ctx.actor, id);
  }

  /** What the audit log keeps of a hand-in's settings. */
  private detail(f: HandinFields) {
    return {
      title: f.title,
      deadline: f.deadline === null ? null : new Date(f.deadline).toISOString(),
      group: f.group_id,
      closed: f.closed_at !== null,
      instructions: f.instructions.length,
    };
  }

  /** Deletes the hand-in and every file handed in to it, for good (the web UI asks first, naming the count). */
  async delete(ctx: Ctx, id: number): Promise<{ files: number }> {
    const { h } = this.require(ctx.actor, id, 'manage');
    const { files, people } = this.q.counts(id);
    this.db.transaction(() => {
      this.q.delete(id);
      this.audit.by(ctx, 'handin_delete', `handin:${id}:${h.title}`, { files, people });
    })();
    // After the rows: a crash in between leaves a folder that recover() removes, never a row without its file.
    await fsp.rm(this.dir(id), { recursive: true, force: true });
    await this.uploads.durable();
    return { files };
  }

  // ---- the submitter's side -----------------------------------------------------------------------

  /**
   * Hands a file in: the body goes through the uploads' own checks and temp file (uploads.receive), then
   * is linked under a random name in the hand-in's folder and recorded with its receipt. The same name
   * again replaces one's own file with `overwrite` (until the deadline), or is kept beside it under a
   * free name with `rename`; otherwise 409.
   */
  async submit(
    ctx: Ctx,
    id: number,
    rawName: string,
    source: Readable,
    opts: { contentLength?: number; overwrite: boolean; rename: boolean },
  ): Promise<Submission> {
    const me = ctx.actor.username;
    this.require(ctx.actor, id, 'submit');
    let name = validateName(rawName);
    let replacing = this.q.ownNamed(id, me, name);
    if (replacing) {
      if (opts.rename) {
        name = this.freeName(id, me, name);
        replacing = undefined;
      } else if (!opts.overwrite) {
        throw conflict('exists', `You already handed in "${name}". Send ?overwrite=1 to replace it, or ?rename=1 to keep both.`);
      } else {
        this.requireSubmission(ctx.actor, id, replacing.id, 'withdraw');
      }
    }
    const credit = replacing?.size ?? 0;
    return this.uploads.receive(ctx, source, { contentLength: opts.contentLength, credit }, async (tmp, written, now) => {
      // Checked again with the rights and the hand-in of now: it may have closed, or lost this member, meanwhile.
      const { h } = this.require(now.actor, id, 'submit');
      const old = replacing ? this.q.ownNamed(id, me, name) : undefined;
      if (replacing) {
        if (!old || old.id !== replacing.id) throw conflict('exists', `"${name}" changed while this file was arriving; try again.`);
        this.requireSubmission(now.actor, id, old.id, 'withdraw');
      }
      const dir = this.dir(id);
      // A folder made now is synced into its parents too: otherwise a power cut could lose it with the file.
      if (await fsp.mkdir(dir, { recursive: true, mode: 0o750 })) {
        await this.store.syncDir(this.store.handinsDir);
        await this.store.syncDir(path.dirname(this.store.handinsDir));
      }
      const stored = crypto.randomUUID();
      const dest = path.join(dir, stored);
      this.store.commitFile(tmp, dest, false);
      await this.store.syncDir(dir);
      const at = this.clock.now();
      let row: SubmissionRow;
      try {
        row = this.db.transaction(() => {
          if (old) this.q.deleteSubmission(old.id);
          let receipt = newReceipt();
          while (this.q.receiptTaken(receipt)) receipt = newReceipt();
          const r = { handin_id: id, username: me, name, stored, size: written.size, sha256: written.sha256, receipt, submitted_at: at };
          const sid = this.q.insertSubmission(r);
          const late = h.deadline !== null && at > h.deadline;
          this.audit.by(now, 'handin_submit', `handin:${id}:${h.title}`, {
            name,
            size: written.size,
            sha256: written.sha256,
            receipt,
            ...(late ? { late } : {}),
            ...(old ? { replaced: old.receipt } : {}),
          });
          return { id: sid, ...r };
        })();
      } catch (err) {
        await fsp.rm(dest, { force: true });
        // Two uploads of one name by one person at once: the second finds the first's row.
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw conflict('exists', `You already handed in "${name}".`);
        throw err;
      }
      if (old) await this.removeStored(id, old.stored);
      // The receipt is shown only once its row is on stable storage, as any upload's answer.
      await this.uploads.durable();
      return this.submission(row, h);
    });
  }

  /** "devoir (2).pdf": the first name the submitter has not used in this hand-in. */
  private freeName(id: number, username: string, name: string): string {
    const dot = name.lastIndexOf('.');
    const stem = dot > 0 ? name.slice(0, dot) : name;
    const ext = dot > 0 ? name.slice(dot) : '';
    for (let n = 2; n < 1000; n++) {
      let s = stem;
      const tag = ` (${n})`;
      while (Buffer.byteLength(s + tag + ext) > 255 && s.length > 1) s = [...s].slice(0, -1).join('');
      const candidate = s + tag + ext;
      if (!this.q.ownNamed(id, username, candidate)) return candidate;
    }
    throw conflict('exists', `"${name}" and a thousand variants of its name are taken.`);
  }

  /** Withdraws a submission: its own submitter until the deadline, an administrator at any time. The file goes for good. */
  async withdraw(ctx: Ctx, id: number, sid: number): Promise<Submission> {
    const { h, r } = this.requireSubmission(ctx.actor, id, sid, 'withdraw');
    const json = this.submission(r, h);
    this.db.transaction(() => {
      this.q.deleteSubmission(sid);
      this.audit.by(ctx, 'handin_withdraw', `handin:${id}:${h.title}`, {
        name: r.name,
        receipt: r.receipt,
        size: r.size,
        ...(r.username !== ctx.actor.username ? { submitter: r.username } : {}),
      });
    })();
    await this.removeStored(id, r.stored);
    await this.uploads.durable();
    return json;
  }

  private async removeStored(id: number, stored: string): Promise<void> {
    await fsp.rm(path.join(this.dir(id), stored), { force: true });
    await this.store.syncDir(this.dir(id)).catch(() => {});
  }

  // ---- crash recovery ---------------------------------------------------------------------------------

  /**
   * Files on the disk that no row names (a crash between the link and the row, or a hand-in deleted just
   * before it): removed. Rows are written after their file, so a row never lacks one but by outside hands.
   */
  async recover(): Promise<{ orphansRemoved: number }> {
    let orphansRemoved = 0;
    let dirs: string[];
    try {
      dirs = await fsp.readdir(this.store.handinsDir);
    } catch {
      return { orphansRemoved };
    }
    const ids = this.q.allIds();
    for (const d of dirs) {
      const id = /^\d+$/.test(d) ? Number(d) : NaN;
      const abs = path.join(this.store.handinsDir, d);
      if (!ids.has(id)) {
        await fsp.rm(abs, { recursive: true, force: true });
        orphansRemoved++;
        continue;
      }
      const known = this.q.storedOf(id);
      for (const f of await fsp.readdir(abs)) {
        if (known.has(f)) continue;
        await fsp.rm(path.join(abs, f), { recursive: true, force: true });
        orphansRemoved++;
      }
    }
    return { orphansRemoved };
  }
}
