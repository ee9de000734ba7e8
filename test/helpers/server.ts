// Real-server test harness: runs the compiled daemon as a child process on a free loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN = path.join(ROOT, 'dist/daemon/src/main.js');
export const CLI = path.join(ROOT, 'dist/daemon/src/cli/main.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface Daemon {
  proc: ChildProcess;
  port: number;
  base: string;
  dir: string;
  env: Record<string, string>;
  output: () => string;
  adminPassword: string | undefined;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the daemon; `dir` may be reused across restarts (crash tests). */
export async function startDaemon(opts: { dir?: string; env?: Record<string, string> } = {}): Promise<Daemon> {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-srv-'));
  // A restarted daemon keeps its address (as the appliance's does): HCD_PORT in opts.env is used as given.
  const port = opts.env?.HCD_PORT ? Number(opts.env.HCD_PORT) : await freePort();
  const env = {
    PATH: process.env.PATH ?? '',
    HCD_HOST: '127.0.0.1',
    HCD_PORT: String(port),
    HCD_DATA_DIR: path.join(dir, 'data'),
    HCD_DB: path.join(dir, 'hcd.db'),
    HCD_MIN_FREE_BYTES: '0',
    HCD_LOG_LEVEL: 'info',
    ...opts.env,
  };
  const proc = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  while (!/listening/.test(out)) {
    if (proc.exitCode !== null) throw new Error(`daemon exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`daemon did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    proc,
    port,
    base: `http://127.0.0.1:${port}`,
    dir,
    env,
    output: () => out,
    adminPassword: /password\s+(\S+)/.exec(out)?.[1],
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/**
 * fetch, once more on a fresh connection when the pooled one turns out closed: after a test blocked its
 * own event loop (fs.cpSync into a davfs mount, hashing a tree) undici has not yet seen the server
 * close an idle keep-alive connection, hands out the dead socket, and the request fails with "other
 * side closed" before the server read it (stop 23's CI). Any other error is thrown as it is.
 */
export async function fetchOnce(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code !== 'UND_ERR_SOCKET') throw err;
    return fetch(url, init);
  }
}

export async function login(base: string, username: string, password: string): Promise<string> {
  const res = await fetchOnce(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** A raw HTTP request whose path is sent byte for byte (fetch would normalise `..`). */
export function rawRequest(
  port: number,
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: rawPath, headers, insecureHTTPParser: false }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
    });
    req.on('error', reject);
    if (body) req.end(body);
    else req.end();
  });
}

/** Peak resident memory (VmHWM) of a process, in bytes, from /proc. */
export function peakRss(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Every file under a space on disk, relative, '/'-separated. */
export function diskFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(root, '');
  return out.sort();
}

// ---- helpers for the real-server tests (test/daemon/server) ---------------------------------

/** Polls `fn` until it returns something truthy, or throws after `timeoutMs` with the last value. */
export async function poll<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last value ${JSON.stringify(last)}${lastErr ? `, last error ${String(lastErr)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text(): string;
  json<T = any>(): T;
}

/**
 * An HTTP request to the daemon on loopback. The path is sent byte for byte; `body` may be a Buffer
 * or an async iterable of chunks, written with backpressure (without Content-Length it goes chunked).
 * If the server answers before the body is all sent (an early error), the rest is not sent and the
 * answer is returned.
 */
export function request(
  port: number,
  method: string,
  rawPath: string,
  opts: { headers?: Record<string, string>; body?: Buffer | string | AsyncIterable<Buffer> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let answered = false;
    // keep-alive, as browsers send it: with "Connection: close" (agent:false's default) a server that
    // answers early (507, 413…) closes the socket while the body is still coming, and the client can
    // lose the answer to EPIPE. The socket is dropped here once the answer is read instead.
    const headers = { connection: 'keep-alive', ...opts.headers };
    const req = http.request({ host: '127.0.0.1', port, method, path: rawPath, headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('error', reject);
      res.on('end', () => {
        req.destroy();
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          text: () => body.toString('utf8'),
          json: () => JSON.parse(body.toString('utf8')),
        });
      });
    });
    req.on('error', (err) => {
      // EPIPE / ECONNRESET after an early answer is expected: the answer has already won.
      if (!answered) reject(err);
    });
    const body = opts.body;
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
      req.end(body);
      return;
    }
    (async () => {
      for await (const chunk of body) {
        if (answered || req.destroyed) return;
        if (!req.write(chunk)) {
          await new Promise<void>((r) => {
            const done = () => {
              req.off('drain', done);
              req.off('close', done);
              r();
            };
            req.on('drain', done);
            req.on('close', done);
          });
        }
      }
      if (!answered && !req.destroyed) req.end();
    })().catch((err) => {
      if (!answered) reject(err);
    });
  });
}

/** JSON API call with a Bearer token (paths here are plain, so fetch's normalisation is harmless). */
export async function api<T = any>(base: string, token: string | null, method: string, p: string, body?: unknown): Promise<{ status: number; json: T }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetchOnce(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, json: json as T };
}

/** Every file of a space as the API lists it (recursive, relative, '/'-separated, sorted). */
export async function listFiles(base: string, token: string, space = 'workspace'): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    const url = `${base}/api/fs/${space}/${rel.split('/').filter(Boolean).map(encodeURIComponent).join('/')}${rel ? '/' : ''}`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`listing ${url}: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { entries: { name: string; type: 'file' | 'dir' }[] };
    for (const e of body.entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.type === 'dir') await walk(r);
      else out.push(r);
    }
  };
  await walk('');
  return out.sort();
}

/** Names directly inside a folder ([] when it does not exist). */
export function dirEntries(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/**
 * Deterministic pseudo-random bytes: the AES-128-CTR keystream of a seed, in chunks of `chunkSize`.
 * Nothing but the current chunk is ever held in memory.
 */
export async function* pseudoRandom(seed: string, total: number, chunkSize = 1024 * 1024): AsyncGenerator<Buffer> {
  const key = crypto.createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(chunkSize);
  let left = total;
  while (left > 0) {
    const n = Math.min(chunkSize, left);
    yield cipher.update(n === chunkSize ? zeros : zeros.subarray(0, n));
    left -= n;
  }
}

/** Passes chunks through while hashing them; `digest()` once the iteration is over. */
export function hashing(source: AsyncIterable<Buffer>): { chunks: AsyncIterable<Buffer>; sent: () => number; digest: () => string } {
  const hash = crypto.createHash('sha256');
  let n = 0;
  let hex: string | undefined;
  return {
    chunks: (async function* () {
      for await (const c of source) {
        hash.update(c);
        n += c.length;
        yield c;
      }
    })(),
    sent: () => n,
    digest: () => (hex ??= hash.digest('hex')),
  };
}

export const sha256 = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');

/** Streams a GET's body into a SHA-256 without keeping it. */
export function downloadHash(port: number, rawPath: string, headers: Record<string, string> = {}): Promise<{ status: number; size: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: rawPath, headers, agent: false }, (res) => {
      const hash = crypto.createHash('sha256');
      let size = 0;
      res.on('data', (d: Buffer) => {
        hash.update(d);
        size += d.length;
      });
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, size, sha256: hash.digest('hex') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Asserts nothing: returns the contract error code of a reply, or throws if the body is not one. */
export function errorCodeOf(r: { status: number; body: Buffer | string }): string {
  const text = Buffer.isBuffer(r.body) ? r.body.toString('utf8') : r.body;
  let body: { error?: { code?: unknown; message?: unknown } };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`not a JSON error body (status ${r.status}): ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (!body.error || typeof body.error.code !== 'string' || typeof body.error.message !== 'string' || body.error.message === '') {
    throw new Error(`not a contract error body (status ${r.status}): ${text.slice(0, 200)}`);
  }
  return body.error.code;
}

/** Stops a daemon if it still runs (for cleanup) and removes its directory. */
export async function dispose(d: Daemon | undefined, opts: { keepDir?: boolean } = {}): Promise<void> {
  if (!d) return;
  if (d.proc.exitCode !== null && d.proc.exitCode !== 0) {
    // It died on its own before the cleanup: show why, or the failing test is a mystery.
    process.stderr.write(`daemon on port ${d.port} exited early with code ${d.proc.exitCode}; its output:\n${d.output()}\n`);
  }
  if (d.proc.exitCode === null && d.proc.signalCode === null) {
    const timer = setTimeout(() => d.proc.kill('SIGKILL'), 20_000);
    await d.stop('SIGTERM');
    clearTimeout(timer);
  }
  if (!opts.keepDir) fs.rmSync(d.dir, { recursive: true, force: true });
}
