// Who may do what: DESIGN.md's role matrix, decided here and nowhere else.
import { ROLES, type Role } from '../api-types.js';

export { ROLES, type Role };

export interface Actor {
  readonly username: string;
  readonly role: Role;
}

/** Who is acting, and from which address (for the audit log): what every service call receives. */
export interface Ctx {
  readonly actor: Actor;
  readonly ip: string | null;
  /** Acting through a guest link (the actor is then the link's creator): the name the guest typed. */
  readonly guest?: string;
  /** How the request came: 'dav' (a file manager over WebDAV) is written in the audit log. */
  readonly via?: string;
}

/** A space: the shared workspace, or the private container of one user. */
export type Space = { readonly kind: 'workspace' } | { readonly kind: 'container'; readonly username: string };

export const spaceKey = (s: Space): string => (s.kind === 'workspace' ? 'workspace' : `users/${s.username}`);

export type Action =
  | 'read' // list, download, preview
  | 'create' // upload a new file, create a folder
  | 'modify'; // overwrite, rename, move, delete (and restore into the space)

/**
 * May `actor` perform `action` in `space` on an entry owned by `owner`?
 * For 'modify' on a folder the caller asks for every entry of the subtree (see `ownersAllow`).
 */
export function can(actor: Actor, action: Action, space: Space, owner?: string | null): boolean {
  if (actor.role === 'admin') return true;
  if (space.kind === 'container') {
    // A private container: full control for its advanced owner, nobody else but admins.
    return actor.role === 'advanced' && space.username === actor.username;
  }
  switch (action) {
    case 'read':
    case 'create':
      return true;
    case 'modify':
      // Workspace: advanced users only on what they uploaded themselves; normal users never.
      return actor.role === 'advanced' && owner != null && owner === actor.username;
  }
}

/**
 * A folder its creator made in the workspace and left empty may be renamed or removed by that creator,
 * whatever the role. Normal users may create folders (a class organises its work by them), and without
 * this a mistaken "Nouveau dossier" would stay in everyone's workspace for good; once something is
 * inside, the folder is shared work and the role matrix above decides.
 */
export const canTidyEmptyFolder = (actor: Actor, space: Space, owner: string | null | undefined): boolean =>
  space.kind === 'workspace' && owner != null && owner === actor.username;

/**
 * Who may give a file its thumbnail (the grid's picture of a photo, made by the uploader's browser):
 * whoever uploaded it, whatever the role (a pupil's phone makes the thumbnail of the photo it just
 * sent), and whoever may modify it. Nobody else can dress a classmate's photo in another picture.
 */
export const canSetThumbnail = (actor: Actor, space: Space, owner: string | null | undefined): boolean =>
  can(actor, 'read', space) && ((owner != null && owner === actor.username) || can(actor, 'modify', space, owner));

/**
 * Who may make a guest link to an entry of `space`: admins for anything, advanced users for what they
 * may read (the workspace, their own container), and for a drop box only where they may also add
 * files; normal users never. Asked again at every use, so a creator demoted, disabled or deleted
 * takes their links down with them.
 */
export const canShare = (actor: Actor, space: Space, mode: 'read' | 'upload'): boolean =>
  actor.role !== 'user' && can(actor, 'read', space) && (mode === 'read' || can(actor, 'create', space));

/**
 * Who may set a file's WebDAV properties or lock it (a file manager's metadata, a lock that holds others'
 * writes): as for thumbnails, its uploader and whoever may modify it. A pupil cannot lock the workspace.
 */
export const canSetProperties = canSetThumbnail;

/**
 * An empty file its uploader made may be filled by that uploader, whatever the role: file managers write
 * a new file in two steps (macOS Finder: LOCK, which makes it empty, then PUT; Windows: an empty PUT, then
 * the bytes), and without this a normal user could never copy a file onto the drive from a laptop.
 * Once it holds bytes, replacing it is a modification and the matrix decides.
 */
export const canFillEmptyFile = (actor: Actor, space: Space, owner: string | null | undefined, size: number): boolean =>
  size === 0 && owner != null && owner === actor.username && can(actor, 'create', space);

/** Does the actor have a private container of their own (`home`)? */
export const hasContainer = (actor: Actor): boolean => actor.role !== 'user';

/** Users, quotas, storage, audit log, health dashboard. */
export const canAdminister = (actor: Actor): boolean => actor.role === 'admin';

/**
 * Trash entries an actor sees, restores and purges: admins all; others what they deleted, as long as
 * their role today may still change that entry where it was (a demoted admin loses what it deleted in
 * others' containers and others' files in the workspace).
 */
export const canManageTrashItem = (actor: Actor, item: { deleted_by: string; space: string; owner: string | null }): boolean =>
  actor.role === 'admin' || (item.deleted_by === actor.username && can(actor, 'modify', spaceOfKey(item.space), item.owner));

export function spaceOfKey(key: string): Space {
  return key === 'workspace' ? { kind: 'workspace' } : { kind: 'container', username: key.slice('users/'.length) };
}

/** Whether a folder with these owners may be modified as a whole. */
export function ownersAllow(actor: Actor, space: Space, foreignCount: number): boolean {
  if (actor.role === 'admin') return true;
  if (space.kind === 'container') return can(actor, 'modify', space, actor.username);
  return actor.role === 'advanced' && foreignCount === 0;
}

/** Where an actor stands with one hand-in folder (services/handins.ts works it out). */
export interface HandinStanding {
  /** On its roster: a live member of its group, or anyone when it has no group. */
  readonly member: boolean;
  /** Has handed something in to it (and so may still see it, e.g. after leaving the group). */
  readonly submitted: boolean;
  readonly closed: boolean;
  /** Its deadline has passed, by the drive's clock. */
  readonly pastDeadline: boolean;
}

export type HandinAction =
  | 'manage' // create, edit, close, reopen, delete; the roster, every submission, the zip
  | 'see' // know that it exists, read its instructions and one's own receipts
  | 'submit' // hand a new file in
  | 'read' // download or preview a submission
  | 'withdraw'; // withdraw a submission, or replace it with a new file of the same name

/**
 * The hand-in matrix. In a hand-in, every role has the same rights over its own files (a pupil who may
 * never delete anything in the workspace still withdraws their own homework), and nobody but
 * administrators ever reaches another person's submission. Handing in stays open after the deadline
 * (the files are marked late) until an administrator closes the hand-in; withdrawing or replacing stops
 * at the deadline, so that what was handed in on time is what the teacher finds. Administrators may
 * withdraw any submission at any time (a wrong file, a photo that should not be there): the audit log
 * keeps its receipt.
 */
export function canHandin(actor: Actor, action: HandinAction, h: HandinStanding, submitter?: string): boolean {
  const admin = actor.role === 'admin';
  switch (action) {
    case 'manage':
      return admin;
    case 'see':
      return admin || h.member || h.submitted;
    case 'submit':
      return h.member && !h.closed;
    case 'read':
      return admin || (submitter !== undefined && submitter === actor.username);
    case 'withdraw':
      if (admin) return true;
      return submitter !== undefined && submitter === actor.username && !h.closed && !h.pastDeadline;
  }
}
