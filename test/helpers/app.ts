// In-process test harness: a real app over an in-memory database and a temporary data root.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../daemon/src/app.js';
import { buildDeps, type Deps, type DepsOptions } from '../../daemon/src/deps.js';
import { loadConfig } from '../../daemon/src/config.js';
import { openDatabase } from '../../daemon/src/db/connection.js';
import { migrate } from '../../daemon/src/db/migrate.js';
import { silentLogger } from '../../daemon/src/log.js';
import type { Clock } from '../../daemon/src/services/clock.js';
import type { Role } from '../../daemon/src/policy/policy.js';

export interface TestUser {
  username: string;
  role: Role;
  password: string;
  token: string;
}

export interface ReqOptions {
  token?: string;
  cookie?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export class ManualClock implements Clock {
  constructor(public t = Date.UTC(2026, 10, 25, 12, 0, 0)) {}
  now() {
    return this.t;
  }
  advance(ms: number) {
    this.t += ms;
  }
}

export async function makeApp(opts: { env?: Record<string, string>; clock?: Clock; deps?: (paths: { dir: string; dataDir: string }) => DepsOptions } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-test-'));
  const config = loadConfig({ HCD_DATA_DIR: path.join(dir, 'data'), HCD_DB: ':memory:', HCD_MIN_FREE_BYTES: '0', ...opts.env }, dir);
  const db = openDatabase(':memory:');
  migrate(db);
  const clock = opts.clock ?? { now: () => Date.now() };
  const deps: Deps = buildDeps({ config, db, clock, log: silentLogger }, opts.deps?.({ dir, dataDir: config.dataDir }));
  if (deps.store.available()) await deps.store.ensureLayout();
  const app = createApp(deps);

  const req = async (method: string, url: string, o: ReqOptions = {}): Promise<Response> => {
    const headers: Record<string, string> = { host: 'localhost', ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.cookie) headers.cookie = o.cookie;
    let body: BodyInit | undefined;
    if (o.body instanceof Uint8Array || typeof o.body === 'string') body = o.body as BodyInit;
    else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    return app.request(url, { method, headers, body });
  };

  const user = async (username: string, role: Role, password = `pw-${username}-secret`): Promise<TestUser> => {
    const row = await deps.accounts.createUser({ username, password, role });
    const { token } = await deps.accounts.openSession(row, null, null);
    return { username, role, password, token };
  };

  const put = (u: TestUser, p: string, content: string | Uint8Array, query = '') =>
    req('PUT', `/api/fs/${p}${query}`, { token: u.token, body: typeof content === 'string' ? new TextEncoder().encode(content) : content });

  return {
    app,
    deps,
    dir,
    dataDir: config.dataDir,
    req,
    user,
    put,
    async json<T = any>(res: Response | Promise<Response>): Promise<T> {
      return (await (await res).json()) as T;
    },
    close() {
      void deps.hasher.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type TestApp = Awaited<ReturnType<typeof makeApp>>;

/** Asserts the contract's error shape and returns the code. */
export async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
  if (!body.error || typeof body.error.code !== 'string' || typeof body.error.message !== 'string') {
    throw new Error(`not an error body: ${JSON.stringify(body)}`);
  }
  return body.error.code;
}
