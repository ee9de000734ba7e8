// Guest links: /api/links (make, list, revoke; logged in) and /api/s/{secret} (a guest's view of one
// link, no login: info, password, the file or folder read-only, or a drop box's uploads).
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { GuestLinkInfo, LinkCreated, LinkItem, LinkList, Listing } from '../api-types.js';
import { HttpError, badRequest, forbidden } from '../errors.js';
import { clientIp, jsonPages, rawPath, readJson, AUTH_JSON_LIMIT, type AppEnv } from '../http.js';
import { guestName, linkCookieName, type OpenLink } from '../services/links.js';
import type { GuestUpload } from '../services/transfers.js';
import type { Entry } from '../services/tree.js';
import { decodeUrlPath } from '../storage/paths.js';
import type { Deps } from '../deps.js';
import { requireAuth } from './auth.js';
import { serveFile, zipResponse } from './files.js';

const NO_STORE = { 'Cache-Control': 'no-store' };

export function linkRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { links, portal } = deps;
  app.use('*', requireAuth(deps));

  app.post('/', async (c) => {
    const body = await readJson(c);
    // The address guests can reach: the device's own on its Wi-Fi, else the one the creator used.
    const host = c.req.header('host') ?? '';
    const origin = portal.redirectsForeignHosts || !/^[\w.:[\]-]+$/.test(host) ? portal.origin() : `http://${host}`;
    return c.json((await links.create(c.var.caller, origin, body)) satisfies LinkCreated, 201, NO_STORE);
  });

  app.get('/', (c) => c.json({ links: links.list(c.var.caller.actor) } satisfies LinkList, 200, NO_STORE));

  app.delete('/:id', (c) => {
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id < 1) throw badRequest('bad_request', 'A link id is a number.');
    return c.json(links.revoke(c.var.caller, id) satisfies LinkItem);
  });
  return app;
}

/** The link named by a request under /api/s/{secret}, and whether its password was given in this browser. */
function openLink(deps: Deps, c: Context<AppEnv>, secret: string, opts: { usedUpOk?: boolean } = {}): { link: OpenLink; unlocked: boolean } {
  const link = deps.links.open(secret, clientIp(c), opts);
  return { link, unlocked: deps.links.isUnlocked(link.row, getCookie(c, linkCookieName(link.row.id))) };
}

function requireUnlocked(u: { unlocked: boolean }): void {
  if (!u.unlocked) throw new HttpError('link_password_required', 'This link is protected by a password.');
}

/** For POST /api/tus with an X-HCD-Link header: a guest's resumable upload into a drop box. */
export function guestTus(deps: Deps, c: Context<AppEnv>, secret: string): Promise<Response> {
  const u = openLink(deps, c, secret);
  requireUnlocked(u);
  const { link } = u;
  if (link.row.mode !== 'upload') throw forbidden('This link is for reading only.');
  const guest: GuestUpload = {
    link: link.row.id,
    space: link.space,
    dir: link.names,
    maxBytes: link.row.max_upload_bytes,
    take: () => deps.links.take(link),
    giveBack: () => deps.links.giveBack(link),
    done: (p, name, size) => deps.links.used({ ...link, ctx: { ...link.ctx, guest: name } }, 'upload', p, { size }),
  };
  return deps.transfers.handle(c.req.raw, link.ctx, guest);
}

export function guestRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { links, drive, uploads } = deps;

  app.get('/:secret', (c) => {
    const u = openLink(deps, c, c.req.param('secret'));
    return c.json(links.info(u.link, u.unlocked) satisfies GuestLinkInfo, 200, NO_STORE);
  });

  app.post('/:secret/unlock', async (c) => {
    const body = await readJson(c, AUTH_JSON_LIMIT);
    const { link } = openLink(deps, c, c.req.param('secret'));
    const cookie = await links.unlock(link, body.password, clientIp(c));
    // Path /api/: the file routes below and resumable uploads (/api/tus) carry it; HttpOnly, so no
    // script reads it; one cookie per link, signed by the daemon, so it opens nothing else.
    setCookie(c, linkCookieName(link.row.id), cookie.value, { httpOnly: true, sameSite: 'Strict', path: '/api/', maxAge: cookie.maxAgeSeconds });
    return c.json(links.info(link, true) satisfies GuestLinkInfo, 200, NO_STORE);
  });

  /** The names after /api/s/{secret}/fs/, validated (the app already refused ".." in every spelling). */
  const inside = (c: Context<AppEnv>) => {
    const raw = rawPath(c);
    const m = /^\/api\/s\/[^/]+\/fs(?:\/(.*))?$/.exec(raw);
    return m && m[1] ? decodeUrlPath(m[1]) : [];
  };

  const read = async (c: Context<AppEnv>) => {
    const u = openLink(deps, c, c.req.param('secret') ?? '');
    requireUnlocked(u);
    const { link } = u;
    if (link.row.mode !== 'read') throw forbidden('This link only takes files: its folder cannot be seen.');
    const sub = inside(c);
    if (link.row.type === 'file' && sub.length > 0) throw new HttpError('not_found', 'This link shares one file.');
    const names = [...link.names, ...sub];
    const found = await drive.stat(link.ctx, link.space, names);
    const shown = '/' + sub.join('/');
    if (found.kind === 'dir') {
      if (c.req.query('format') === 'zip') {
        links.take(link);
        links.used(link, 'zip', '/' + names.join('/'));
        const list = await drive.zipList(link.ctx, link.space, names);
        return zipResponse(c, list, names[names.length - 1]!, deps.log.child({ link: link.row.id }));
      }
      // Guests see names, sizes and dates; who uploaded what stays on the drive.
      const head = { path: shown, space: 'link' } satisfies Omit<Listing, 'entries'>;
      return jsonPages(c, head, 'entries' satisfies keyof Listing, guestPages(drive.listPages(link.ctx, link.space, names)), NO_STORE);
    }
    // A download counts once: the continuation of a resumed one (a Range past 0) and HEAD do not.
    const range = c.req.header('range');
    if (c.req.method === 'GET' && (!range || /^bytes=0-/.test(range.trim()))) {
      links.take(link);
      links.used(link, 'download', '/' + names.join('/'));
    }
    return serveFile(c, found.abs, found.stat, names[names.length - 1]!);
  };
  app.get('/:secret/fs', read);
  app.get('/:secret/fs/*', read);
  app.on('HEAD', ['/:secret/fs', '/:secret/fs/*'], read);

  app.put('/:secret/fs/*', async (c) => {
    const u = openLink(deps, c, c.req.param('secret'));
    requireUnlocked(u);
    const { link } = u;
    if (link.row.mode !== 'upload') throw forbidden('This link is for reading only.');
    const sub = inside(c);
    if (sub.length !== 1) throw badRequest('invalid_path', 'A guest sends files, not folders: PUT /api/s/{secret}/fs/{name}.');
    const len = c.req.header('content-length');
    if (len !== undefined && !/^\d+$/.test(len)) throw badRequest('bad_request', 'Invalid Content-Length.');
    const max = link.row.max_upload_bytes;
    const tooLarge = () => new HttpError('payload_too_large', `Files sent through this link may have ${max} bytes at most.`);
    if (max !== null && len !== undefined && Number(len) > max) throw tooLarge();
    const guest = guestName(c.req.query('guest'));
    links.take(link);
    const incoming = c.env?.incoming;
    const raw = incoming ?? (c.req.raw.body ? Readable.fromWeb(c.req.raw.body as import('node:stream/web').ReadableStream) : Readable.from([]));
    // A body without a Content-Length is cut at the link's limit as it arrives.
    const body =
      max === null || len !== undefined
        ? raw
        : Readable.from(
            (async function* () {
              let seen = 0;
              for await (const chunk of raw as AsyncIterable<Buffer>) {
                seen += chunk.length;
                if (seen > max) throw tooLarge();
                yield chunk;
              }
            })(),
          );
    let entry;
    try {
      entry = await uploads.upload({ ...link.ctx, guest }, link.space, [...link.names, sub[0]!], body, {
        contentLength: len === undefined ? undefined : Number(len),
        overwrite: false,
        rename: 'always',
      });
    } catch (err) {
      links.giveBack(link);
      throw err;
    }
    links.used({ ...link, ctx: { ...link.ctx, guest } }, 'upload', entry.path, { size: entry.size });
    const { path: _p, ...json } = entry;
    return c.json({ ...json, owner: null, canDelete: false }, 201, NO_STORE);
  });
  return app;
}

/** A listing's pages as a guest sees them: names, sizes and dates, not who uploaded what. */
function* guestPages(pages: Generator<Entry[], Entry[]>): Generator<Entry[], Entry[]> {
  const guest = (page: Entry[]) => page.map(({ guest: _g, ...e }) => ({ ...e, owner: null, canDelete: false }));
  for (let r = pages.next(); ; r = pages.next()) {
    if (r.done) return guest(r.value);
    yield guest(r.value);
  }
}
