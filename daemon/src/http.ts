// Shared HTTP plumbing: the app's typed context, client address, JSON bodies, raw paths.
import type { Context, MiddlewareHandler } from 'hono';
import { IncomingMessage, type ServerResponse } from 'node:http';
import { HttpError, badRequest } from './errors.js';
import type { Ctx } from './policy/policy.js';
import type { AuthedUser } from './services/accounts.js';

/** The authenticated caller, set by requireAuth: what routes pass to the services as their Ctx. */
export interface Caller extends Ctx {
  readonly actor: AuthedUser;
  readonly via: 'cookie' | 'bearer' | 'dav';
}

export type AppEnv = {
  Bindings: { incoming?: IncomingMessage; outgoing?: ServerResponse };
  Variables: { caller: Caller };
};
export type AppContext = Context<AppEnv>;

export const SESSION_COOKIE = 'hcd_session';

/** The peer's address. The device has no reverse proxy, so forwarding headers are not trusted. */
export function clientIp(c: Context): string {
  const incoming = (c.env as AppEnv['Bindings'] | undefined)?.incoming;
  return incoming?.socket?.remoteAddress?.replace(/^::ffff:/, '') ?? 'local';
}

/** The request path exactly as sent (percent-encoded, `..` intact): the URL parser would normalise it away. */
export function rawPath(c: Context): string {
  const incoming = (c.env as AppEnv['Bindings'] | undefined)?.incoming;
  const raw = incoming?.url ?? new URL(c.req.url).pathname;
  const q = raw.indexOf('?');
  return q < 0 ? raw : raw.slice(0, q);
}

/** The largest JSON body most routes accept: a move's two paths fit many times over. */
export const JSON_LIMIT = 64 * 1024;
/** Login and password changes: a name and a password or two. */
export const AUTH_JSON_LIMIT = 4 * 1024;

/**
 * A request's body of at most `limit` bytes. A larger one is refused with 413 before it is read (by
 * its Content-Length) or as soon as it passes the limit (chunked), never held whole.
 */
export async function readBytes(c: Context, limit: number): Promise<Buffer> {
  const tooLarge = () => new HttpError('payload_too_large', `This request's body is larger than ${limit} bytes.`);
  const len = c.req.header('content-length');
  if (len !== undefined && /^\d+$/.test(len) && Number(len) > limit) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const stream = c.req.raw.body;
  if (stream) {
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  return Buffer.concat(chunks);
}

/** A JSON object body of at most `limit` bytes (readBytes). */
export async function readJson(c: Context, limit = JSON_LIMIT): Promise<Record<string, unknown>> {
  const text = (await readBytes(c, limit)).toString('utf8');
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest('invalid_json', 'The request body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('invalid_json', 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** At most this much of a refused request's body is read and thrown away before the connection is cut. */
const DISCARD_LIMIT = 64 * 1024 * 1024;
const DISCARD_MS = 30_000;

/**
 * After an answer given before the request's body ended (413, 507, 403…): reads and drops the rest, up
 * to a bound, and closes the connection only after that ("lingering close", RFC 9112 §9.6). Closing a
 * socket that still has unread bytes makes the kernel send a reset, which can destroy the answer before
 * the client reads it: clients saw EPIPE or ECONNRESET instead of their 413. (@hono/node-server's own
 * clean-up gives a body 500 ms, too short for a phone on a busy Wi-Fi, and Node closes at once when the
 * client asked for "Connection: close".)
 */
export const discardUnreadBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const incoming = (c.env as AppEnv['Bindings'] | undefined)?.incoming;
  if (!(incoming instanceof IncomingMessage) || incoming.complete || incoming.destroyed || c.req.method === 'GET' || c.req.method === 'HEAD') return;
  const socket = incoming.socket as import('node:net').Socket & { destroySoon?: () => void };
  const cut = () => socket.destroy();
  let seen = 0;
  const timer = setTimeout(cut, DISCARD_MS);
  timer.unref();
  incoming.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DISCARD_LIMIT) cut();
  });
  incoming.on('error', () => {});
  // Node ends a "Connection: close" exchange with socket.destroySoon() once the answer is written:
  // for this socket, send the FIN then, but destroy it only when the body has been read to its end.
  socket.destroySoon = function lingeringClose(this: typeof socket) {
    this.end();
    if (incoming.complete) return void this.destroy();
    incoming.once('end', () => this.destroy());
  };
  socket.once('close', () => clearTimeout(timer));
  // Resumed on the next tick: a 'readable' listener removed just now (the upload's iterator) would
  // otherwise keep the stream paused.
  setImmediate(() => incoming.resume());
};

export const truthy = (v: string | undefined) => v !== undefined && ['1', 'true', 'yes', ''].includes(v.toLowerCase());

/**
 * A response body made of pieces, each made only when the client is ready for it, with the event loop
 * handed back between pieces: a long answer holds up other requests for one piece's time, not for
 * the whole answer (issue 16). Cancelled (the client went away), it stops the pieces' generator.
 */
export function piecewise(pieces: Iterator<string, unknown>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      if (started) await new Promise((resolve) => setImmediate(resolve));
      started = true;
      const r = pieces.next();
      if (r.done) ctl.close();
      else if (r.value !== '') ctl.enqueue(encoder.encode(r.value));
    },
    cancel() {
      pieces.return?.();
    },
  });
}

/**
 * A JSON object whose last field is a list produced in pages: `{...head, [field]: [...every page]}`.
 * `pages` yields each page but the last, which it returns. One page is sent as c.json always sent it;
 * a longer list is streamed a page at a time (piecewise).
 */
export function jsonPages<T>(
  c: Context,
  head: Record<string, unknown>,
  field: string,
  pages: Generator<T[], T[]>,
  headers: Record<string, string> = {},
): Response {
  const first = pages.next();
  if (first.done) return c.json({ ...head, [field]: first.value }, 200, headers);
  const whole = JSON.stringify({ ...head, [field]: [] });
  function* text(): Generator<string> {
    try {
      let before = whole.slice(0, -2); // the object up to its list's opening bracket
      let listed = false;
      for (let r: IteratorResult<T[], T[]> = first; ; r = pages.next()) {
        const page = r.value.map((x) => JSON.stringify(x)).join(',');
        yield before + (listed && page !== '' ? ',' : '') + page + (r.done ? whole.slice(-2) : '');
        before = '';
        listed ||= page !== '';
        if (r.done) return;
      }
    } finally {
      pages.return([]);
    }
  }
  return c.body(piecewise(text()), 200, { 'Content-Type': 'application/json', ...headers });
}
