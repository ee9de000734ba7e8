// Authentication: login (password or login card), logout, who am I, password change; and the middleware that authenticates.
import { Hono, type MiddlewareHandler } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import type { LoginResponse, MeResponse, OkResponse } from '../api-types.js';
import { HttpError, forbidden } from '../errors.js';
import { AUTH_JSON_LIMIT, clientIp, readJson, SESSION_COOKIE, type AppEnv } from '../http.js';
import { canAdminister } from '../policy/policy.js';
import type { Deps } from '../deps.js';

const COOKIE_MAX_AGE = 30 * 24 * 3600;

function setSession(c: Parameters<MiddlewareHandler<AppEnv>>[0], token: string) {
  // No Secure flag: the appliance serves plain HTTP on its own network.
  setCookie(c, SESSION_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/', maxAge: COOKIE_MAX_AGE });
}

/** Authenticates every request under it with a Bearer token or the session cookie. */
export function requireAuth(deps: Deps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    let token: string | undefined;
    let via: 'cookie' | 'bearer' = 'bearer';
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw new HttpError('unauthenticated', 'The Authorization header must be "Bearer <token>".');
      token = m[1];
    } else {
      token = getCookie(c, SESSION_COOKIE);
      via = 'cookie';
    }
    const user = token ? await deps.accounts.authenticate(token) : null;
    if (!user) throw new HttpError('unauthenticated', 'Please log in.');
    c.set('caller', { actor: user, ip: clientIp(c), via });
    await next();
  };
}

/** Lets only administrators through (after requireAuth); each admin sub-app guards itself with it. */
export const adminOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const caller = c.get('caller');
  if (!caller || !canAdminister(caller.actor)) throw forbidden('Only administrators may do this.');
  await next();
};

/**
 * Refuses state-changing requests that a browser sent from another site. Requests with an
 * Authorization header are exempt: another site cannot attach one without a CORS preflight we never grant.
 */
export const refuseCrossSite: MiddlewareHandler<AppEnv> = async (c, next) => {
  const m = c.req.method;
  if (m !== 'GET' && m !== 'HEAD' && m !== 'OPTIONS' && !c.req.header('authorization')) {
    const site = c.req.header('sec-fetch-site');
    if (site === 'cross-site' || site === 'same-site') {
      throw new HttpError('cross_site_request', 'Requests from other sites are refused.');
    }
    const origin = c.req.header('origin');
    if (origin && origin !== 'null') {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      if (host !== c.req.header('host')) throw new HttpError('cross_site_request', 'Requests from other sites are refused.');
    } else if (origin === 'null') {
      throw new HttpError('cross_site_request', 'Requests from opaque origins are refused.');
    }
  }
  await next();
};

export function authRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { accounts, audit } = deps;

  app.post('/login', async (c) => {
    const body = await readJson(c, AUTH_JSON_LIMIT);
    const ip = clientIp(c);
    const r = await accounts.login(body.username, body.password, ip, c.req.header('user-agent') ?? null);
    if (!r.ok) {
      audit.record({ actor: r.username, ip, action: 'login_failed', detail: { reason: r.reason } });
      // Only with the right password is an account told that it is disabled.
      if (r.reason === 'disabled') throw new HttpError('account_disabled', 'This account is disabled: see your teacher or the administrator.');
      throw new HttpError('invalid_credentials', 'Wrong username or password.');
    }
    audit.record({ actor: r.user.username, ip, action: 'login' });
    setSession(c, r.token);
    return c.json({ token: r.token, user: { username: r.user.username, role: r.user.role } } satisfies LoginResponse);
  });

  // A login card's link (`/#card=<secret>`: the fragment never reaches the server) is posted here by the web UI.
  app.post('/card', async (c) => {
    const body = await readJson(c, AUTH_JSON_LIMIT);
    const ip = clientIp(c);
    const r = await deps.cards.redeem(body.secret, ip, c.req.header('user-agent') ?? null);
    if (!r.ok) {
      audit.record({ actor: r.username, ip, action: 'login_failed', detail: { reason: r.reason, card: true, ...(r.revoked ? { revoked: r.revoked } : {}) } });
      if (r.reason === 'disabled') throw new HttpError('account_disabled', 'This account is disabled: see your teacher or the administrator.');
      if (r.reason === 'card_revoked')
        throw new HttpError('card_revoked', 'This card no longer works (a new one was made, or the password changed): ask for a new card.');
      throw new HttpError('invalid_card', 'This card is not valid: check the link, or ask for a new card.');
    }
    audit.record({ actor: r.user.username, ip, action: 'login', detail: { card: true } });
    setSession(c, r.token);
    // The phone came here through the card's link, in a real browser: its captive-portal probes may now say "online".
    deps.portal.accept(ip);
    return c.json({ token: r.token, user: { username: r.user.username, role: r.user.role } } satisfies LoginResponse, 200, { 'Cache-Control': 'no-store' });
  });

  app.use('/*', requireAuth(deps));

  app.get('/me', (c) => {
    const u = c.var.caller.actor;
    const row = accounts.users.byId(u.id)!;
    return c.json({
      user: {
        username: u.username,
        role: u.role,
        quotaBytes: row.quota_bytes,
        usedBytes: deps.drive.files.usageOf(u.username),
        mustChangePassword: row.must_change_password === 1,
      },
    } satisfies MeResponse);
  });

  app.post('/logout', (c) => {
    accounts.logout(c.var.caller.actor.sessionId);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ ok: true } satisfies OkResponse);
  });

  app.post('/password', async (c) => {
    const caller = c.var.caller;
    const u = caller.actor;
    const body = await readJson(c, AUTH_JSON_LIMIT);
    const current = body.currentPassword ?? body.oldPassword;
    const row = accounts.users.byId(u.id)!;
    if (typeof current !== 'string' || !(await accounts.verifyPassword(row, current))) {
      throw new HttpError('wrong_password', 'The current password is wrong.');
    }
    // Every session ends, this one included; the caller gets a fresh token.
    await accounts.setPassword(row, body.newPassword ?? body.password, undefined, true);
    const s = await accounts.openSession(row, caller.ip, c.req.header('user-agent') ?? null);
    audit.by(caller, 'password_change', `user:${u.username}`);
    setSession(c, s.token);
    return c.json({ token: s.token, user: { username: u.username, role: u.role } } satisfies LoginResponse);
  });

  return app;
}
