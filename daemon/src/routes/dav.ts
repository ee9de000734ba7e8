// /dav/: WebDAV (RFC 4918, classes 1 and 2) for laptops' file managers, over the same drive, uploads,
// trash and policy as /api/fs. /dav/ lists the caller's spaces: workspace, home, users/ (admins).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { getMimeType } from 'hono/utils/mime';
import { HttpError, badRequest, errorResponse, forbidden, fromFsError, notFound } from '../errors.js';
import { clientIp, piecewise, rawPath, readBytes, type AppEnv, type Caller } from '../http.js';
import { DAV, XmlError, child, elements, escapeXml, parseXml, serializeChildren, type XmlElement } from '../dav/xml.js';
import { parseIf, parseTimeout, submittedTokens, type IfList, type Lock } from '../dav/locks.js';
import { canAdminister, canSetProperties, hasContainer, spaceKey, type Space } from '../policy/policy.js';
import { decodeUrlPath } from '../storage/paths.js';
import { etagOf, serveFile } from './files.js';
import type { Deps } from '../deps.js';

export const DAV_PREFIX = '/dav';
const CHALLENGE = 'Basic realm="Home Drive", charset="UTF-8"';
const XML_TYPE = 'application/xml; charset=utf-8';
const XML_PROLOGUE = '<?xml version="1.0" encoding="utf-8"?>\n';
/** Responses per piece of a long PROPFIND answer (about 10 ms of work each on this machine). */
const PROPFIND_PAGE = 250;
const BODY_LIMIT = 64 * 1024;
const ALLOW = 'OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, COPY, MOVE, PROPFIND, PROPPATCH, LOCK, UNLOCK';

/** Where a /dav/ URL points: the list of spaces, the list of containers (admins), or a path in a space. */
type Loc =
  | { kind: 'root'; href: string }
  | { kind: 'users'; href: string }
  | { kind: 'space'; space: Space; key: string; names: string[]; rel: string; base: string; href: string };

/** A status answered with an optional DAV:error condition (RFC 4918 §16), for what the JSON codes do not name. */
class DavStatus extends Error {
  constructor(
    readonly status: number,
    readonly condition?: string,
  ) {
    super(`dav ${status}`);
  }
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  423: 'Locked',
  424: 'Failed Dependency',
  507: 'Insufficient Storage',
};
const statusLine = (s: number) => `HTTP/1.1 ${s} ${STATUS_TEXT[s] ?? ''}`.trimEnd();
const encodeNames = (names: readonly string[]) => names.map((n) => encodeURIComponent(n)).join('/');
const parentRel = (rel: string) => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');

function xmlResponse(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(XML_PROLOGUE + body, { status, headers: { 'Content-Type': XML_TYPE, ...headers } });
}

/** A property's start and end tags, its namespace declared on it. */
function propTags(ns: string, name: string): [string, string] {
  if (ns === '') return [`<${name} xmlns="">`, `</${name}>`];
  if (ns === DAV) return [`<D:${name}>`, `</D:${name}>`];
  return [`<P:${name} xmlns:P="${escapeXml(ns)}">`, `</P:${name}>`];
}
const propXml = (ns: string, name: string, value = '') => {
  const [open, close] = propTags(ns, name);
  return value === '' ? `${open.slice(0, -1)}/>` : `${open}${value}${close}`;
};

export function davRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { drive, uploads, trash, copies, locks, davAuth, davProps, accounts } = deps;

  // ---- where, who --------------------------------------------------------------------------------

  /** A raw /dav/... path (still percent-encoded) as a location, with the caller's access to the space checked. */
  const locate = (caller: Caller, raw: string): Loc => {
    if (raw !== DAV_PREFIX && !raw.startsWith(DAV_PREFIX + '/')) throw forbidden('Only /dav/ paths can be reached over WebDAV.');
    const names = decodeUrlPath(raw.slice(DAV_PREFIX.length + 1));
    if (names.length === 0) return { kind: 'root', href: `${DAV_PREFIX}/` };
    if (names.length === 1 && names[0] === 'users') {
      if (!canAdminister(caller.actor)) throw forbidden("Only administrators may open other users' containers.");
      return { kind: 'users', href: `${DAV_PREFIX}/users/` };
    }
    const { space, names: inner } = drive.resolveSpace(caller.actor, names);
    const baseNames = names.slice(0, names.length - inner.length);
    const base = `${DAV_PREFIX}/${encodeNames(baseNames)}/`;
    return { kind: 'space', space, key: spaceKey(space), names: inner, rel: inner.join('/'), base, href: base + encodeNames(inner) };
  };

  const authenticate = async (c: Context<AppEnv>): Promise<Caller> => {
    const header = c.req.header('authorization');
    if (!header) throw new HttpError('unauthenticated', 'Log in with your drive username and password.');
    const ip = clientIp(c);
    const bearer = /^Bearer\s+(\S+)$/i.exec(header);
    const actor = bearer ? await accounts.authenticate(bearer[1]!) : await davAuth.authenticate(header, ip);
    if (!actor) throw new HttpError('unauthenticated', 'Please log in.');
    return { actor, ip, via: 'dav' };
  };

  /** The entry at `loc` (lstat, inside its space, through the drive's read check), or null. */
  const lstat = async (caller: Caller, loc: Loc & { kind: 'space' }) => {
    const found = await drive.stat(caller, loc.space, loc.names).catch((e: unknown) => {
      if (e instanceof HttpError && (e.code === 'not_found' || e.code === 'not_a_directory')) return null;
      throw e;
    });
    if (!found) return null;
    if (found.kind === 'file') return found.stat;
    // A container never written to has no folder yet: it is shown as an empty one.
    return fsp.lstat(found.abs).catch(() => (loc.names.length === 0 ? fsp.lstat(path.dirname(found.abs)) : null));
  };

  // ---- the If header and locks --------------------------------------------------------------------

  const ifLists = (c: Context<AppEnv>): IfList[] | null => {
    const h = c.req.header('if');
    if (h === undefined) return null;
    const lists = parseIf(h);
    if (!lists) throw badRequest('bad_request', 'The If header is malformed.');
    return lists;
  };

  /** RFC 4918 §10.4: true when one of the lists holds (each for its tagged resource, or the request's). */
  const evaluateIf = async (caller: Caller, lists: IfList[], target: Loc): Promise<boolean> => {
    for (const list of lists) {
      let loc: Loc | null = target;
      if (list.tag !== null) {
        try {
          loc = locate(caller, new URL(list.tag, 'http://x').pathname);
        } catch {
          loc = null;
        }
      }
      const st = loc?.kind === 'space' ? await lstat(caller, loc) : null;
      const etag = st ? etagOf(st) : null;
      const held = loc?.kind === 'space' ? locks.covering(loc.key, loc.rel).map((l) => l.token) : [];
      const ok = list.conditions.every((cond) => {
        const hit = cond.kind === 'token' ? held.includes(cond.value) : etag !== null && cond.value.replace(/^W\//, '') === etag;
        return cond.not ? !hit : hit;
      });
      if (ok) return true;
    }
    return false;
  };

  /**
   * Refuses (423) a change to `loc` while a lock whose token the caller did not submit covers it: the
   * resource itself, everything below it (`subtree`: delete, move), its parent's membership (`member`:
   * creating or removing a name in a locked folder).
   */
  const requireUnlocked = (caller: Caller, loc: Loc & { kind: 'space' }, lists: IfList[] | null, o: { subtree?: boolean; member?: boolean }) => {
    const tokens = submittedTokens(lists);
    const found = new Set<Lock>(locks.covering(loc.key, loc.rel));
    if (o.subtree) for (const l of locks.inside(loc.key, loc.rel)) found.add(l);
    if (o.member && loc.rel !== '') for (const l of locks.covering(loc.key, parentRel(loc.rel))) found.add(l);
    for (const l of found) {
      if (!tokens.has(l.token) || l.principal !== caller.actor.username) {
        throw new DavStatus(
          423,
          `<D:lock-token-submitted><D:href>${escapeXml(loc.base + encodeNames(l.path === '' ? [] : l.path.split('/')))}</D:href></D:lock-token-submitted>`,
        );
      }
    }
  };

  /** The If header's verdict before a change (412), then the locks (423). */
  const guard = async (c: Context<AppEnv>, caller: Caller, loc: Loc, o: { subtree?: boolean; member?: boolean }) => {
    if (loc.kind !== 'space') throw forbidden('This is a list of spaces: nothing can be changed here.');
    const lists = ifLists(c);
    if (lists && !(await evaluateIf(caller, lists, loc))) throw new DavStatus(412);
    requireUnlocked(caller, loc, lists, o);
    return lists;
  };

  // ---- properties ---------------------------------------------------------------------------------

  interface Res {
    loc: Loc;
    isDir: boolean;
    name: string;
    st: fs.Stats | null;
  }

  const activeLockXml = (l: Lock, base: string) =>
    `<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:${l.scope}/></D:lockscope>` +
    `<D:depth>${l.depth === 0 ? '0' : 'infinity'}</D:depth>${l.owner ? `<D:owner>${l.owner}</D:owner>` : ''}` +
    `<D:timeout>Second-${Math.max(0, Math.round((l.expires - Date.now()) / 1000))}</D:timeout>` +
    `<D:locktoken><D:href>${escapeXml(l.token)}</D:href></D:locktoken>` +
    `<D:lockroot><D:href>${escapeXml(base + encodeNames(l.path === '' ? [] : l.path.split('/')))}</D:href></D:lockroot></D:activelock>`;

  const LIVE = [
    'resourcetype',
    'displayname',
    'getcontentlength',
    'getcontenttype',
    'getetag',
    'getlastmodified',
    'creationdate',
    'supportedlock',
    'lockdiscovery',
  ];

  /**
   * RFC 4331's quota properties: live and protected, on collections only, and not part of an allprop
   * answer (they cost a statfs), only of a request that names them (prop, or allprop's include).
   */
  const QUOTA = ['quota-available-bytes', 'quota-used-bytes'];
  const PROTECTED = [...LIVE, ...QUOTA];

  /** The caller's figures, as the web shows them (/api/auth/me's usedBytes and quotaBytes), the disk's free space as the cap. */
  interface Quota {
    used: number;
    available: number;
  }

  /**
   * What counts against the caller's quota (the files they own anywhere, hand-ins included) and what
   * an upload of theirs would be granted now: the quota left (unfinished uploads counted) and, with or
   * without a quota, the data disk's writable space beyond the reserve; 0 while the SSD is missing.
   * The quota is the account's, not a folder's: every collection reports the same figures.
   */
  const quotaOf = async (caller: Caller): Promise<Quota> => {
    const used = drive.files.usageOf(caller.actor.username);
    if (!deps.store.available()) return { used, available: 0 };
    const disk = (await deps.store.writableBytes(false)) - uploads.ledger.pendingBytes();
    const left = uploads.ledger.quotaLeft(caller.actor.username).bytes;
    return { used, available: Math.max(0, Math.min(left, disk)) };
  };

  /** A live property's value, or undefined when this resource has none of that name. */
  const live = (r: Res, name: string, quota: Quota | null): string | undefined => {
    switch (name) {
      case 'resourcetype':
        return r.isDir ? '<D:collection/>' : '';
      case 'displayname':
        return escapeXml(r.name);
      case 'getcontentlength':
        return r.isDir || !r.st ? undefined : String(r.st.size);
      case 'getcontenttype':
        return r.isDir ? undefined : escapeXml(getMimeType(r.name) ?? 'application/octet-stream');
      case 'getetag':
        return r.st ? escapeXml(etagOf(r.st)) : undefined;
      case 'getlastmodified':
        return new Date(r.st ? Math.floor(r.st.mtimeMs / 1000) * 1000 : 0).toUTCString();
      case 'creationdate':
        return new Date(r.st ? r.st.birthtimeMs || r.st.ctimeMs : 0).toISOString().replace(/\.\d+Z$/, 'Z');
      case 'supportedlock':
        return r.loc.kind === 'space'
          ? '<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>' +
              '<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>'
          : '';
      case 'lockdiscovery': {
        const { loc } = r;
        return loc.kind === 'space'
          ? locks
              .covering(loc.key, loc.rel)
              .map((l) => activeLockXml(l, loc.base))
              .join('')
          : '';
      }
      case 'quota-available-bytes':
        return r.isDir && quota ? String(quota.available) : undefined;
      case 'quota-used-bytes':
        return r.isDir && quota ? String(quota.used) : undefined;
      default:
        return undefined;
    }
  };

  type Want = { mode: 'all'; include: XmlElement[] } | { mode: 'names' } | { mode: 'props'; props: XmlElement[] };

  const responseXml = (r: Res, want: Want, quota: Quota | null): string => {
    const ok: string[] = [];
    const missing: string[] = [];
    const dead = r.loc.kind === 'space' ? davProps.of(r.loc.key, r.loc.rel) : [];
    if (want.mode === 'names') {
      for (const n of LIVE) if (live(r, n, null) !== undefined) ok.push(`<D:${n}/>`);
      if (r.isDir) for (const n of QUOTA) ok.push(`<D:${n}/>`);
      for (const d of dead) ok.push(propXml(d.ns, d.name));
    } else {
      const asked = want.mode === 'all' ? [...LIVE.map((n) => ({ ns: DAV, local: n })), ...want.include] : want.props;
      const seen = new Set<string>();
      for (const p of asked) {
        const k = `${p.ns}\u0000${p.local}`;
        if (seen.has(k)) continue;
        seen.add(k);
        const value = p.ns === DAV ? live(r, p.local, quota) : undefined;
        const d = value === undefined ? dead.find((x) => x.ns === p.ns && x.name === p.local) : undefined;
        if (value !== undefined) ok.push(propXml(DAV, p.local, value));
        else if (d) ok.push(propXml(d.ns, d.name, d.value));
        else if (want.mode === 'props') missing.push(propXml(p.ns, p.local));
      }
      if (want.mode === 'all') for (const d of dead) if (!seen.has(`${d.ns}\u0000${d.name}`)) ok.push(propXml(d.ns, d.name, d.value));
    }
    let out = `<D:response><D:href>${escapeXml(r.loc.href)}</D:href>`;
    if (ok.length) out += `<D:propstat><D:prop>${ok.join('')}</D:prop><D:status>${statusLine(200)}</D:status></D:propstat>`;
    if (missing.length) out += `<D:propstat><D:prop>${missing.join('')}</D:prop><D:status>${statusLine(404)}</D:status></D:propstat>`;
    return out + '</D:response>';
  };

  const parseBody = async (c: Context<AppEnv>): Promise<XmlElement | null> => {
    const bytes = await readBytes(c, BODY_LIMIT);
    const text = bytes.toString('utf8');
    if (text.trim() === '') return null;
    try {
      return parseXml(text);
    } catch (e) {
      if (e instanceof XmlError) throw badRequest('bad_request', `The XML body is not well-formed: ${e.message}.`);
      throw e;
    }
  };

  /** The members of a collection, as resources. */
  const members = async (caller: Caller, parent: Loc): Promise<Res[]> => {
    if (parent.kind === 'root') {
      const out: Res[] = [];
      const add = async (name: string) => {
        const loc = locate(caller, `${DAV_PREFIX}/${name}/`);
        out.push({ loc, isDir: true, name, st: loc.kind === 'space' ? await lstat(caller, loc) : null });
      };
      await add('workspace');
      if (hasContainer(caller.actor)) await add('home');
      if (canAdminister(caller.actor)) out.push({ loc: locate(caller, `${DAV_PREFIX}/users/`), isDir: true, name: 'users', st: null });
      return out;
    }
    if (parent.kind === 'users') {
      const names = new Set(
        accounts.users
          .all()
          .filter((u) => u.role !== 'user' || fs.existsSync(deps.store.spaceRoot(`users/${u.username}`)))
          .map((u) => u.username),
      );
      const out: Res[] = [];
      for (const name of [...names].sort()) {
        const loc = locate(caller, `${DAV_PREFIX}/users/${name}/`);
        out.push({ loc, isDir: true, name, st: loc.kind === 'space' ? await lstat(caller, loc) : null });
      }
      return out;
    }
    const found = await drive.stat(caller, parent.space, parent.names);
    let dirents: fs.Dirent[];
    try {
      dirents = await fsp.readdir(found.abs, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    // Symlinks are never shown nor followed.
    const shown = dirents.filter((d) => (d.isFile() || d.isDirectory()) && d.name === d.name.normalize('NFC'));
    const out: Res[] = [];
    // 32 lstat calls at a time in the thread pool, not 10,000 one after the other.
    for (let i = 0; i < shown.length; i += 32) {
      const slice = shown.slice(i, i + 32);
      const stats = await Promise.all(slice.map((d) => fsp.lstat(`${found.abs}/${d.name}`).catch(() => null)));
      slice.forEach((d, j) => {
        const st = stats[j];
        if (!st) return;
        const names = [...parent.names, d.name];
        out.push({
          loc: { ...parent, names, rel: names.join('/'), href: parent.base + encodeNames(names) + (d.isDirectory() ? '/' : '') },
          isDir: d.isDirectory(),
          name: d.name,
          st,
        });
      });
    }
    return out;
  };

  const resourceOf = async (caller: Caller, loc: Loc): Promise<Res | null> => {
    if (loc.kind !== 'space') return { loc, isDir: true, name: loc.kind === 'root' ? 'dav' : 'users', st: null };
    const st = await lstat(caller, loc);
    if (!st) return null;
    const isDir = st.isDirectory();
    const name = loc.names.length
      ? loc.names[loc.names.length - 1]!
      : loc.kind === 'space' && loc.space.kind === 'container'
        ? loc.space.username
        : 'workspace';
    return { loc: isDir && !loc.href.endsWith('/') ? { ...loc, href: loc.href + '/' } : loc, isDir, name, st };
  };

  // ---- the methods --------------------------------------------------------------------------------

  const propfind = async (c: Context<AppEnv>, caller: Caller, loc: Loc) => {
    const depth = c.req.header('depth') ?? 'infinity';
    if (depth !== '0' && depth !== '1') throw new DavStatus(403, '<D:propfind-finite-depth/>');
    const body = await parseBody(c);
    let want: Want = { mode: 'all', include: [] };
    if (body) {
      if (body.ns !== DAV || body.local !== 'propfind') throw badRequest('bad_request', 'PROPFIND takes a DAV:propfind body.');
      const prop = child(body, DAV, 'prop');
      if (prop) want = { mode: 'props', props: elements(prop) };
      else if (child(body, DAV, 'propname')) want = { mode: 'names' };
      else if (child(body, DAV, 'allprop')) want = { mode: 'all', include: elements(child(body, DAV, 'include') ?? { ...body, children: [] }) };
      else throw badRequest('bad_request', 'DAV:propfind needs prop, propname or allprop.');
    }
    const self = await resourceOf(caller, loc);
    if (!self) throw notFound();
    // The disk is asked (statfs) only when a quota property is named.
    const asked = want.mode === 'props' ? want.props : want.mode === 'all' ? want.include : [];
    const quota = asked.some((p) => p.ns === DAV && QUOTA.includes(p.local)) ? await quotaOf(caller) : null;
    const all = depth === '1' && self.isDir ? [self, ...(await members(caller, self.loc))] : [self];
    if (all.length <= PROPFIND_PAGE)
      return xmlResponse(207, `<D:multistatus xmlns:D="DAV:">${all.map((r) => responseXml(r, want, quota)).join('\n')}</D:multistatus>`);
    // A big folder: its responses made PROPFIND_PAGE at a time, the event loop free between them.
    function* xml(): Generator<string> {
      yield `${XML_PROLOGUE}<D:multistatus xmlns:D="DAV:">`;
      for (let i = 0; i < all.length; i += PROPFIND_PAGE)
        yield (
          (i ? '\n' : '') +
          all
            .slice(i, i + PROPFIND_PAGE)
            .map((r) => responseXml(r, want, quota))
            .join('\n')
        );
      yield '</D:multistatus>';
    }
    return new Response(piecewise(xml()), { status: 207, headers: { 'Content-Type': XML_TYPE } });
  };

  const proppatch = async (c: Context<AppEnv>, caller: Caller, loc: Loc) => {
    if (loc.kind !== 'space') throw forbidden('This is a list of spaces: it has no properties to change.');
    const body = await parseBody(c);
    if (!body || body.ns !== DAV || body.local !== 'propertyupdate') throw badRequest('bad_request', 'PROPPATCH takes a DAV:propertyupdate body.');
    const r = await resourceOf(caller, loc);
    if (!r) throw notFound();
    const owner = drive.files.get(loc.key, loc.rel)?.owner ?? null;
    if (!canSetProperties(caller.actor, loc.space, owner)) throw forbidden('You may only change the properties of what you uploaded or may change.');
    await guard(c, caller, loc, {});
    const ops: { set: boolean; p: XmlElement }[] = [];
    for (const op of elements(body)) {
      if (op.ns !== DAV || (op.local !== 'set' && op.local !== 'remove')) continue;
      for (const prop of elements(op).filter((e) => e.ns === DAV && e.local === 'prop'))
        for (const p of elements(prop)) ops.push({ set: op.local === 'set', p });
    }
    // All or nothing (§9.2): a protected (live) property fails the whole request.
    const refused = ops.some((o) => o.p.ns === DAV && PROTECTED.includes(o.p.local));
    if (!refused) {
      deps.db.transaction(() => {
        for (const o of ops) {
          if (o.set) davProps.set({ space: loc.key, path: loc.rel, ns: o.p.ns, name: o.p.local, value: serializeChildren(o.p) });
          else davProps.remove(loc.key, loc.rel, o.p.ns, o.p.local);
        }
      })();
    }
    const stats = ops.map((o) => {
      const status = !refused ? 200 : o.p.ns === DAV && PROTECTED.includes(o.p.local) ? 403 : 424;
      return `<D:propstat><D:prop>${propXml(o.p.ns, o.p.local)}</D:prop><D:status>${statusLine(status)}</D:status></D:propstat>`;
    });
    return xmlResponse(
      207,
      `<D:multistatus xmlns:D="DAV:"><D:response><D:href>${escapeXml(r.loc.href)}</D:href>${stats.join('')}</D:response></D:multistatus>`,
    );
  };

  /** 409 unless the parent folder of `loc` exists (RFC 4918: no intermediate collections are made). */
  const requireParent = async (caller: Caller, loc: Loc & { kind: 'space' }) => {
    if (loc.names.length <= 1) return;
    const st = await lstat(caller, { ...loc, names: loc.names.slice(0, -1), rel: parentRel(loc.rel) });
    if (!st?.isDirectory()) throw new DavStatus(409);
  };

  const put = async (c: Context<AppEnv>, caller: Caller, loc: Loc) => {
    if (loc.kind !== 'space' || loc.names.length === 0) throw new DavStatus(405);
    const st = await lstat(caller, loc);
    if (st?.isDirectory()) throw new DavStatus(405);
    await requireParent(caller, loc);
    await guard(c, caller, loc, { member: !st });
    const len = c.req.header('content-length');
    if (len !== undefined && !/^\d+$/.test(len)) throw badRequest('bad_request', 'Invalid Content-Length.');
    const incoming = c.env?.incoming;
    const body = incoming ?? (c.req.raw.body ? Readable.fromWeb(c.req.raw.body as import('node:stream/web').ReadableStream) : Readable.from([]));
    // An existing file is replaced only by whoever may replace it (Uploads refuses the others with 403),
    // its previous version kept in the trash as with ?overwrite=1.
    await uploads.upload(caller, loc.space, loc.names, body, { contentLength: len === undefined ? undefined : Number(len), overwrite: !!st });
    const now = await lstat(caller, loc);
    return c.body(null, st ? 204 : 201, now ? { ETag: etagOf(now) } : {});
  };

  const mkcol = async (c: Context<AppEnv>, caller: Caller, loc: Loc) => {
    if (loc.kind !== 'space' || loc.names.length === 0) throw new DavStatus(405);
    // A body would be a request for an extended MKCOL, which this server does not do (§9.3).
    if ((await readBytes(c, BODY_LIMIT)).length > 0) throw new DavStatus(415);
    if (await lstat(caller, loc)) throw new DavStatus(405);
    await requireParent(caller, loc);
    await guard(c, caller, loc, { member: true });
    await drive.mkdir(caller, loc.space, loc.names);
    return c.body(null, 201);
  };

  const remove = async (c: Context<AppEnv>, caller: Caller, loc: Loc) => {
    if (loc.kind !== 'space' || loc.names.length === 0) throw forbidden('A space cannot be deleted.');
    const st = await lstat(caller, loc);
    if (!st) throw notFound();
    const depth = c.req.header('depth');
    if (st.isDirectory() && depth !== undefined && depth.toLowerCase() !== 'infinity')
      throw badRequest('bad_request', 'DELETE of a folder takes Depth: infinity.');
    await guard(c, caller, loc, { subtree: true, member: true });
    await trash.remove(caller, loc.space, loc.names);
    davProps.removeSubtree(loc.key, loc.rel);
    locks.removeInside(loc.key, loc.rel);
    return c.body(null, 204);
  };

  /**
   * RFC 4918 §9.8.4 and §9.9.3: with Overwrite: T the destination is deleted before the copy or move;
   * here it goes to the trash. Should the copy or move then fail (over quota, disk full, the source
   * deleted meanwhile), what it left at the destination goes to the trash too (not purged: another
   * client may have written there meanwhile) and the previous destination is restored from the trash:
   * a failed request leaves the destination as it was. If even that fails, it is still in the trash.
   */
  const replacing = async (caller: Caller, dest: Loc & { kind: 'space' }, work: () => Promise<unknown>) => {
    const { trashId } = await trash.remove(caller, dest.space, dest.names);
    try {
      await work();
    } catch (err) {
      try {
        if (await lstat(caller, dest)) await trash.remove(caller, dest.space, dest.names);
        await trash.restore(caller, trashId);
      } catch (undo) {
        deps.log.warn('dav overwrite not undone: the previous destination is in the trash', { target: `${dest.key}:/${dest.rel}`, trashId, err: undo });
      }
      throw err;
    }
  };

  const copyOrMove = async (c: Context<AppEnv>, caller: Caller, loc: Loc, move: boolean) => {
    if (loc.kind !== 'space' || loc.names.length === 0) throw forbidden('A space cannot be copied or moved.');
    const destHeader = c.req.header('destination');
    if (!destHeader) throw badRequest('bad_request', 'The Destination header is required.');
    let destUrl: URL;
    try {
      destUrl = new URL(destHeader, `http://${c.req.header('host') ?? 'localhost'}`);
    } catch {
      throw badRequest('bad_request', 'The Destination header is not a URL.');
    }
    if (destUrl.host !== (c.req.header('host') ?? destUrl.host)) throw new DavStatus(502);
    const dest = locate(caller, destUrl.pathname);
    if (dest.kind !== 'space' || dest.names.length === 0) throw forbidden('Nothing can be copied or moved onto a space itself.');
    if (dest.key !== loc.key) throw forbidden('Copies and moves stay within one space: download and upload to cross spaces.');
    const overwrite = (c.req.header('overwrite') ?? 'T').toUpperCase();
    if (overwrite !== 'T' && overwrite !== 'F') throw badRequest('bad_request', 'Overwrite is T or F.');
    const depthH = (c.req.header('depth') ?? 'infinity').toLowerCase();
    if (depthH !== 'infinity' && (move || depthH !== '0'))
      throw badRequest('bad_request', move ? 'MOVE takes Depth: infinity.' : 'COPY takes Depth: 0 or infinity.');
    const src = await lstat(caller, loc);
    if (!src) throw notFound();
    if (dest.rel === loc.rel) throw forbidden('The source and the destination are the same.');
    await requireParent(caller, dest);
    const lists = ifLists(c);
    if (lists && !(await evaluateIf(caller, lists, loc))) throw new DavStatus(412);
    if (move) requireUnlocked(caller, loc, lists, { subtree: true, member: true });
    requireUnlocked(caller, dest, lists, { subtree: true, member: true });
    const existed = await lstat(caller, dest);
    if (existed && overwrite === 'F') throw new DavStatus(412);
    const depth = depthH === '0' ? 0 : 'infinity';
    if (existed && !move && src.isFile() && existed.isFile()) {
      // A file onto a file: an overwriting upload, the old version kept in the trash once the new one is in place.
      await copies.copy(caller, loc.space, loc.names, dest.names, 0, { overwrite: true });
    } else {
      const work = () => (move ? drive.move(caller, loc.space, loc.names, dest.names) : copies.copy(caller, loc.space, loc.names, dest.names, depth));
      await (existed ? replacing(caller, dest, work) : work());
    }
    // The destination's properties and locks go only once the new content is in place.
    davProps.removeSubtree(dest.key, dest.rel);
    locks.removeInside(dest.key, dest.rel);
    if (move) {
      davProps.move(loc.key, loc.rel, dest.rel);
      locks.removeInside(loc.key, loc.rel);
    } else {
      davProps.copy(loc.key, loc.rel, dest.rel);
    }
    return c.body(null, existed ? 204 : 201);
  };

  const lock = async (c: Context<AppEnv>, caller: Caller, loc: Loc) => {
    if (loc.kind !== 'space') throw forbidden('A list of spaces cannot be locked.');
    const body = await parseBody(c);
    const timeoutS = parseTimeout(c.req.header('timeout'));
    if (!body) {
      // A refresh (§9.10.2): the lock named in the If header, on this resource, gets a new timeout.
      const lists = ifLists(c);
      const tokens = submittedTokens(lists);
      const l = locks.covering(loc.key, loc.rel).find((x) => tokens.has(x.token));
      if (!l || l.principal !== caller.actor.username) throw new DavStatus(412, '<D:lock-token-matches-request-uri/>');
      locks.refresh(l, timeoutS);
      return xmlResponse(200, `<D:prop xmlns:D="DAV:"><D:lockdiscovery>${activeLockXml(l, loc.base)}</D:lockdiscovery></D:prop>`);
    }
    if (body.ns !== DAV || body.local !== 'lockinfo') throw badRequest('bad_request', 'LOCK takes a DAV:lockinfo body.');
    const scopeEl = child(body, DAV, 'lockscope');
    const scope = scopeEl && child(scopeEl, DAV, 'exclusive') ? 'exclusive' : scopeEl && child(scopeEl, DAV, 'shared') ? 'shared' : null;
    const typeEl = child(body, DAV, 'locktype');
    if (!scope || !typeEl || !child(typeEl, DAV, 'write')) throw badRequest('bad_request', 'A lock is a write lock, exclusive or shared.');
    const ownerEl = child(body, DAV, 'owner');
    const depthH = (c.req.header('depth') ?? 'infinity').toLowerCase();
    if (depthH !== '0' && depthH !== 'infinity') throw badRequest('bad_request', 'LOCK takes Depth: 0 or infinity.');
    const depth = depthH === '0' ? 0 : 'infinity';
    let st = await lstat(caller, loc);
    if (st) {
      const owner = drive.files.get(loc.key, loc.rel)?.owner ?? null;
      // A lock stops others' writes: only for what the caller may change itself (a pupil cannot lock the workspace).
      if (!canSetProperties(caller.actor, loc.space, owner)) throw forbidden('You may only lock what you uploaded or may change.');
    }
    const lists = ifLists(c);
    if (lists && !(await evaluateIf(caller, lists, loc))) throw new DavStatus(412);
    if (locks.conflicts(loc.key, loc.rel, st?.isDirectory() ? depth : 0, scope).length) throw new DavStatus(423, '<D:no-conflicting-lock/>');
    let created = false;
    if (!st) {
      // A lock on an unmapped URL makes an empty file there (§7.3), which the client then writes.
      if (loc.names.length === 0) throw notFound();
      await requireParent(caller, loc);
      requireUnlocked(caller, loc, lists, { member: true });
      await uploads.upload(caller, loc.space, loc.names, Readable.from([]), { contentLength: 0, overwrite: false });
      created = true;
      st = await lstat(caller, loc);
    }
    const l = locks.create({
      space: loc.key,
      path: loc.rel,
      depth: st?.isDirectory() ? depth : 0,
      scope,
      owner: ownerEl ? serializeChildren(ownerEl) : '',
      principal: caller.actor.username,
      timeoutS,
    });
    return xmlResponse(created ? 201 : 200, `<D:prop xmlns:D="DAV:"><D:lockdiscovery>${activeLockXml(l, loc.base)}</D:lockdiscovery></D:prop>`, {
      'Lock-Token': `<${l.token}>`,
    });
  };

  const unlock = (c: Context<AppEnv>, caller: Caller, loc: Loc) => {
    if (loc.kind !== 'space') throw new DavStatus(409, '<D:lock-token-matches-request-uri/>');
    const m = /^\s*<([^>]+)>\s*$/.exec(c.req.header('lock-token') ?? '');
    if (!m) throw badRequest('bad_request', 'UNLOCK needs a Lock-Token header.');
    const l = locks.get(m[1]!);
    if (!l || !locks.covering(loc.key, loc.rel).includes(l)) throw new DavStatus(409, '<D:lock-token-matches-request-uri/>');
    if (l.principal !== caller.actor.username && !canAdminister(caller.actor)) throw forbidden('This lock is someone else’s.');
    locks.remove(l.token);
    return c.body(null, 204);
  };

  const get = async (c: Context<AppEnv>, caller: Caller, loc: Loc) => {
    if (loc.kind === 'space') {
      const found = await drive.stat(caller, loc.space, loc.names);
      if (found.kind === 'file') return serveFile(c, found.abs, found.stat, loc.names[loc.names.length - 1]!);
    }
    // A folder in a browser: a plain list of links (file managers never GET a collection).
    const self = (await resourceOf(caller, loc))!;
    const items = await members(caller, self.loc);
    const html =
      `<!doctype html><meta charset="utf-8"><title>${escapeXml(self.name)}</title><ul>` +
      items
        .map(
          (m) => `<li><a href="${escapeXml(m.loc.href)}${m.isDir && !m.loc.href.endsWith('/') ? '/' : ''}">${escapeXml(m.name)}${m.isDir ? '/' : ''}</a></li>`,
        )
        .join('') +
      '</ul>';
    const headers = { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': "sandbox; default-src 'none'" };
    return c.req.method === 'HEAD' ? c.body(null, 200, headers) : c.body(html, 200, headers);
  };

  // ---- dispatch and errors ------------------------------------------------------------------------

  app.all('/*', async (c) => {
    try {
      const method = c.req.method.toUpperCase();
      if (method === 'OPTIONS') {
        // Unauthenticated: Windows asks before it sends credentials, and the answer reveals nothing.
        return c.body(null, 200, { DAV: '1, 2', 'MS-Author-Via': 'DAV', Allow: ALLOW, 'Content-Length': '0' });
      }
      const caller = await authenticate(c);
      c.set('caller', caller);
      const loc = locate(caller, rawPath(c));
      switch (method) {
        case 'GET':
        case 'HEAD':
          return await get(c, caller, loc);
        case 'PROPFIND':
          return await propfind(c, caller, loc);
        case 'PROPPATCH':
          return await proppatch(c, caller, loc);
        case 'PUT':
          return await put(c, caller, loc);
        case 'MKCOL':
          return await mkcol(c, caller, loc);
        case 'DELETE':
          return await remove(c, caller, loc);
        case 'COPY':
          return await copyOrMove(c, caller, loc, false);
        case 'MOVE':
          return await copyOrMove(c, caller, loc, true);
        case 'LOCK':
          return await lock(c, caller, loc);
        case 'UNLOCK':
          return unlock(c, caller, loc);
        default:
          return c.body(null, 405, { Allow: ALLOW });
      }
    } catch (err) {
      if (err instanceof DavStatus) {
        if (!err.condition) return c.body(null, err.status as 400);
        return xmlResponse(err.status, `<D:error xmlns:D="DAV:">${err.condition}</D:error>`);
      }
      const e = err instanceof HttpError ? err : fromFsError(err);
      if (!e) throw err;
      // RFC 4331 §6: a write refused for want of room is 507 with the precondition it failed, which file
      // managers report as a full disk (the web API's 413 would read as "this file is too large").
      if (e.code === 'quota_exceeded' || e.code === 'disk_full') {
        return xmlResponse(507, `<D:error xmlns:D="DAV:"><D:${e.code === 'quota_exceeded' ? 'quota-not-exceeded' : 'sufficient-disk-space'}/></D:error>`);
      }
      const headers: Record<string, string> = { ...e.headers };
      if (e.status === 401) headers['WWW-Authenticate'] = CHALLENGE;
      return errorResponse(e.code, e.message, headers);
    }
  });

  return app;
}
