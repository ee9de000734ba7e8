// /api/fs/{space}/{path}: list, download (Range, ETag), upload (PUT), delete, mkdir/move (POST), zip.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono, type Context } from 'hono';
import { getMimeType } from 'hono/utils/mime';
import type { Listing } from '../api-types.js';
import { HttpError, badRequest } from '../errors.js';
import { jsonPages, rawPath, readBytes, readJson, truthy, type AppEnv } from '../http.js';
import { THUMB_MAX_BYTES } from '../services/thumbs.js';
import { decodeUrlPath, parsePathString } from '../storage/paths.js';
import { parseRange } from '../storage/ranges.js';
import { sendFile } from '../storage/send-file.js';
import { zipStream, type ZipEntry } from '../storage/zip.js';
import type { Deps } from '../deps.js';
import { spaceKey, type Space } from '../policy/policy.js';
import type { Drive } from '../services/drive.js';
import { displayPath } from '../services/tree.js';
import type { Logger } from '../log.js';

const PREFIX = '/api/fs/';
/** Reads up to this size are served in one synchronous read. */
const SMALL_READ = 64 * 1024;

export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  // RFC 6266: an ASCII fallback for old clients, and the exact UTF-8 name in filename*.
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (ch) => '%' + ch.charCodeAt(0).toString(16).toUpperCase());
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

export function etagOf(st: fs.Stats): string {
  return `"${st.ino.toString(36)}-${st.size.toString(36)}-${Math.floor(st.mtimeMs).toString(36)}"`;
}

function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/**
 * A file's bytes with ETag, Last-Modified, conditional GET, a single Range and HEAD: what the web API and
 * WebDAV (routes/dav.ts) both answer for a file. `abs` and `st` come from the drive's stat (lstat, inside its space).
 */
export async function serveFile(c: Context<AppEnv>, abs: string, st: fs.Stats, name: string): Promise<Response> {
  const etag = etagOf(st);
  const lastModified = new Date(Math.floor(st.mtimeMs / 1000) * 1000);
  const headers: Record<string, string> = {
    ETag: etag,
    'Last-Modified': lastModified.toUTCString(),
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'private, no-cache',
    'Content-Type': getMimeType(name) ?? 'application/octet-stream',
    'Content-Disposition': contentDisposition(truthy(c.req.query('download')) ? 'attachment' : 'inline', name),
    'X-Content-Type-Options': 'nosniff',
  };
  // User files must never run as this site's pages. PDFs are the exception that proves it:
  // browsers' PDF viewers refuse a sandboxed document, and they run a PDF's scripts in their own
  // isolated viewer, never with this origin's rights.
  if (headers['Content-Type'] !== 'application/pdf') {
    headers['Content-Security-Policy'] = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'";
  }
  const inm = c.req.header('if-none-match');
  const ims = c.req.header('if-modified-since');
  if ((inm && etagMatches(inm, etag)) || (!inm && ims && Date.parse(ims) >= lastModified.getTime())) {
    return c.body(null, 304, { ETag: etag, 'Last-Modified': headers['Last-Modified']!, 'Cache-Control': headers['Cache-Control']! });
  }
  let range = parseRange(c.req.header('range'), st.size);
  const ifRange = c.req.header('if-range');
  if (ifRange && range.kind !== 'none') {
    const fresh = ifRange.startsWith('"') || ifRange.startsWith('W/') ? ifRange === etag : Date.parse(ifRange) === lastModified.getTime();
    if (!fresh) range = { kind: 'none' };
  }
  if (range.kind === 'unsatisfiable') {
    throw new HttpError('range_not_satisfiable', `The file has ${st.size} bytes.`, { 'Content-Range': `bytes */${st.size}` });
  }
  const start = range.kind === 'range' ? range.start : 0;
  const end = range.kind === 'range' ? range.end : st.size - 1;
  const status = range.kind === 'range' ? 206 : 200;
  headers['Content-Length'] = String(Math.max(0, end - start + 1));
  if (range.kind === 'range') headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
  if (c.req.method === 'HEAD' || st.size === 0) return c.body(null, status, headers);
  const length = end - start + 1;
  if (length <= SMALL_READ) {
    // Small files in one synchronous read: four thread-pool round trips (open, read, read, close)
    // cost more than the read itself, which the page cache or an SSD answers in microseconds.
    const buf = Buffer.allocUnsafe(length);
    const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, length, start);
    } finally {
      fs.closeSync(fd);
    }
    if (n !== length) throw new HttpError('file_changed', 'The file changed while it was being read; try again.');
    return c.body(buf, status, headers);
  }
  // O_NOFOLLOW: a symlink swapped in after resolveInside's lstat is still not followed.
  const fd = await new Promise<number>((resolve, reject) =>
    fs.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW, (e, f) => (e ? reject(e) : resolve(f))),
  );
  const outgoing = c.env?.outgoing;
  if (outgoing) {
    // On the real server, straight into the socket (a web stream in between costs a copy and a
    // promise per chunk, about half the download throughput), with buffers sized to the client.
    outgoing.writeHead(status, headers);
    void sendFile(fd, start, end, outgoing);
    return RESPONSE_ALREADY_SENT;
  }
  const stream = fs.createReadStream('', { fd, start, end, highWaterMark: 512 * 1024 });
  return c.body(Readable.toWeb(stream) as ReadableStream, status, headers);
}

export function fileRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { drive, uploads, trash, thumbs } = deps;

  /** The space and the names inside it, from the raw path (decoded and validated here, once). */
  const located = (c: Context<AppEnv>) => {
    const raw = rawPath(c);
    if (!raw.startsWith(PREFIX)) throw badRequest('invalid_path', 'Paths start with /api/fs/{space}/.');
    return drive.resolveSpace(c.var.caller.actor, decodeUrlPath(raw.slice(PREFIX.length)));
  };

  const read = async (c: Context<AppEnv>) => {
    const { space, names } = located(c);
    const caller = c.var.caller;
    if (truthy(c.req.query('thumb'))) return thumbResponse(c, space, names);
    const found = await drive.stat(caller, space, names);
    if (found.kind === 'dir') {
      if (c.req.query('format') === 'zip') return folderZip(c, space, names);
      const head = { path: displayPath(names), space: spaceKey(space) } satisfies Omit<Listing, 'entries'>;
      return jsonPages(c, head, 'entries' satisfies keyof Listing, drive.listPages(caller, space, names));
    }
    return serveFile(c, found.abs, found.stat, names[names.length - 1]!);
  };

  /** GET ?thumb=1: the photo's thumbnail (services/thumbs.ts), a small JPEG; 404 no_thumbnail. */
  const thumbResponse = async (c: Context<AppEnv>, space: Space, names: string[]) => {
    const th = await thumbs.get(c.var.caller, space, names);
    const headers: Record<string, string> = {
      ETag: th.etag,
      'Cache-Control': 'private, no-cache',
      'Content-Type': 'image/jpeg',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "sandbox; default-src 'none'",
    };
    const inm = c.req.header('if-none-match');
    if (inm && etagMatches(inm, th.etag)) return c.body(null, 304, headers);
    headers['Content-Length'] = String(th.bytes.length);
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    return c.body(new Uint8Array(th.bytes), 200, headers);
  };

  const folderZip = async (c: Context<AppEnv>, space: Space, names: string[]) => {
    const list = await drive.zipList(c.var.caller, space, names);
    const base = names.length ? names[names.length - 1]! : space.kind === 'workspace' ? 'workspace' : space.username;
    // ?by=owner: a folder per uploader at the top of the zip (a teacher's pile of hand-ins sorted by
    // pupil). Either way each file's comment in the zip names who uploaded it.
    return zipResponse(c, list, base, deps.log.child({ user: c.var.caller.actor.username }), c.req.query('by') === 'owner');
  };

  app.get('/*', read);
  app.on('HEAD', '/*', read);

  app.put('/*', async (c) => {
    const { space, names } = located(c);
    if (truthy(c.req.query('thumb'))) {
      await thumbs.put(c.var.caller, space, names, await readBytes(c, THUMB_MAX_BYTES));
      return c.body(null, 204);
    }
    const len = c.req.header('content-length');
    if (len !== undefined && !/^\d+$/.test(len)) throw badRequest('bad_request', 'Invalid Content-Length.');
    const incoming = c.env?.incoming;
    const body = incoming ?? (c.req.raw.body ? Readable.fromWeb(c.req.raw.body as import('node:stream/web').ReadableStream) : Readable.from([]));
    const entry = await uploads.upload(c.var.caller, space, names, body, {
      contentLength: len === undefined ? undefined : Number(len),
      overwrite: truthy(c.req.query('overwrite')),
      // Opt-in: a name already taken by a file the caller may not replace is kept beside it under a free name.
      rename: truthy(c.req.query('rename')),
    });
    const { path: stored, ...json } = entry;
    // The name the drive chose (it differs from the URL's after a rename).
    return c.json(json, 201, { 'X-HCD-Path': encodeURIComponent(stored) });
  });

  app.delete('/*', async (c) => {
    const { space, names } = located(c);
    return c.json(await trash.remove(c.var.caller, space, names));
  });

  app.post('/*', async (c) => {
    const { space, names } = located(c);
    const body = await readJson(c);
    switch (body.op) {
      case 'mkdir':
        return c.json(await drive.mkdir(c.var.caller, space, names), 201);
      case 'move':
        return c.json(await drive.move(c.var.caller, space, names, parsePathString(body.to)));
      default:
        throw badRequest('bad_request', 'POST takes {"op":"mkdir"} or {"op":"move","to":"/new/path"}.');
    }
  });

  return app;
}

/** A folder's files as a streamed zip (shared by /api/fs and guest links); `byOwner`: a folder per uploader. */
export function zipResponse(c: Context<AppEnv>, list: Awaited<ReturnType<Drive['zipList']>>, base: string, log: Logger, byOwner = false): Response {
  const nobody = /^fr\b/i.test(c.req.header('accept-language') ?? '') ? '_inconnu' : '_unknown';
  const entries = list
    .filter((f) => !(byOwner && f.row.type === 'dir'))
    .map((f) => ({
      name: byOwner ? `${f.row.owner ?? nobody}/${f.name}` : f.name,
      abs: f.abs,
      type: f.row.type,
      mtime: f.row.mtime,
      comment: f.row.owner ?? undefined,
    }));
  if (byOwner) entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  return zipEntriesResponse(c, entries, base, log);
}

/** Files as a streamed zip download named `<base>.zip` (a folder, a hand-in's submissions). */
export function zipEntriesResponse(c: Context<AppEnv>, entries: readonly ZipEntry[], base: string, log: Logger): Response {
  const stream = zipStream(entries, log);
  return c.body(Readable.toWeb(stream) as ReadableStream, 200, {
    'Content-Type': 'application/zip',
    'Content-Disposition': contentDisposition('attachment', `${base}.zip`),
    'Cache-Control': 'no-store',
  });
}
