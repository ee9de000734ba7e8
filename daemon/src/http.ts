// Shared HTTP plumbing: the app's typed context, client address, JSON bodies, raw paths.
import type { Context } from 'hono';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest } from './errors.js';
import type { Ctx } from './policy/policy.js';
import type { AuthedUser } from './services/accounts.js';

/** The authenticated caller, set by requireAuth: what routes pass to the services as their Ctx. */
export interface Caller extends Ctx {
  readonly actor: AuthedUser;
  readonly via: 'cookie' | 'bearer';
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

export async function readJson(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
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

export const truthy = (v: string | undefined) => v !== undefined && ['1', 'true', 'yes', ''].includes(v.toLowerCase());
