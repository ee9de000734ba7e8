// `make bench`: the same transfer workloads against the daemon and against nginx (sendfile + WebDAV
// PUT) on loopback, in one run, printed as a markdown table of figures and ratios to nginx.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createCpuCap, wrap, type CpuCap } from './cgroup.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const quick = process.argv.includes('--quick');
// --pi: every workload with its server capped at 0.67 of one core (a proxy for a Pi 4): the class
// workload (the daemon alone), then the transfers, each server capped in its turn.
const pi = process.argv.includes('--pi');
const PI_CPU_FRACTION = 0.67;
// --proposals: the designs proposed for the goals one Node process misses, measured before they are
// built (see README.md, "Proposals"), beside the daemon, nginx and the Python server.
const proposals = process.argv.includes('--proposals');
// --idle-trim: the daemon's memory after a burst of uploads, with and without a malloc_trim(0) once it
// goes idle (see README.md, "Proposals, measured").
const idleTrim = process.argv.includes('--idle-trim');
// --sync-steps: the daemon's synchronous admin requests timed on a big index (issue 16, item 2).
const syncSteps = process.argv.includes('--sync-steps');
// --class-only: the class workload alone (capped with --pi), about 2 minutes instead of 11 or 14.
const classOnly = process.argv.includes('--class-only');
// --pi-period-ms=N: the cgroup's CFS period (default the kernel's 100 ms). The cap lets the daemon run
// 67 ms of each period, then stops all its threads until the next one: a longer period means longer
// stops, which four slow cores that never stop do not have.
const PI_PERIOD_US = Math.round(Number(process.argv.find((a) => a.startsWith('--pi-period-ms='))?.split('=')[1] ?? 100) * 1000);
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
// --quick shrinks every workload (for the smoke test); the real run uses the issue's sizes.
const S = quick
  ? { big: 32 * MiB, small: 200, smallSize: 16 * 1024, clients: 6, clientSize: 4 * MiB, ranges: 40, list: 500, listReps: 40, rounds: 1 }
  : { big: GiB, small: 2000, smallSize: 16 * 1024, clients: 30, clientSize: 64 * MiB, ranges: 200, list: 10_000, listReps: 200, rounds: 3 };
// The class: pupils who log in at once, then each upload three files and list the folder.
// --rounds=N: fewer or more rounds than the default 3 (1 in --quick), for the transfers and --idle-trim.
const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.split('=')[1] ?? S.rounds);
const C = quick ? { pupils: 3, files: 3, fileSize: MiB, rounds: 1 } : { pupils: 30, files: 3, fileSize: MiB, rounds: 3 };
// Slow phones: every pupil downloads a large file at about 1 MB/s (a phone far from the access point)
// for `seconds`: long enough for the daemon's memory and latency to settle with all of them open.
const PHONES = quick ? { fileSize: 4 * MiB, rate: 1e6, seconds: 3 } : { fileSize: 64 * MiB, rate: 1e6, seconds: 20 };
const OBSERVER_EVERY_MS = 50;
const WORK = path.join(ROOT, '.cache', quick ? 'bench-quick' : 'bench');
const CLK_TCK = 100; // Linux USER_HZ for /proc/<pid>/stat times

interface Target {
  name: string;
  port: number;
  proc: ChildProcess;
  headers: Record<string, string>;
  file(name: string): string; // URL path of a file
  list(dir: string): string; // URL path of a folder listing
  /** URL path of a file over WebDAV, and the user:password a WebDAV client sends (none for nginx). */
  dav(name: string): string;
  davUser?: string;
  pids(): number[];
  /** For a target of more than one process (the front): stops them all. */
  stop?: () => Promise<void>;
}

// ---- processes ---------------------------------------------------------------------------------

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitPort(port: number, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} never opened`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function children(pid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The command that starts `argv`, inside the cap's cgroup when there is one (every thread and child it starts is then in it). */
function capped(cap: CpuCap | undefined, argv: string[]): [string, string[]] {
  return cap ? wrap(cap, argv) : [argv[0]!, argv.slice(1)];
}

async function startNginx(fresh: boolean, cap?: CpuCap): Promise<Target> {
  const prefix = path.join(WORK, 'nginx');
  if (fresh) fs.rmSync(prefix, { recursive: true, force: true });
  for (const d of ['files', 'body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(prefix, d), { recursive: true });
  const port = await freePort();
  const conf = fs
    .readFileSync(path.join(ROOT, 'scripts/bench/nginx.conf'), 'utf8')
    .replaceAll('@PREFIX@', prefix)
    .replaceAll('@PORT@', String(port))
    .replaceAll('@USER@', os.userInfo().username);
  fs.writeFileSync(path.join(prefix, 'nginx.conf'), conf);
  const [cmd, args] = capped(cap, ['nginx', '-p', prefix, '-c', path.join(prefix, 'nginx.conf')]);
  const proc = spawn(cmd, args, { stdio: 'inherit' });
  await waitPort(port, proc);
  return {
    name: 'nginx',
    port,
    proc,
    headers: {},
    file: (n) => '/' + n.split('/').map(encodeURIComponent).join('/'),
    list: (d) => `/${encodeURIComponent(d)}/`,
    dav: (n) => '/' + n.split('/').map(encodeURIComponent).join('/'),
    pids: () => [proc.pid!, ...children(proc.pid!)],
  };
}

/** The second reference: a Python file server with sendfile downloads and durable (fsynced) uploads. */
async function startPython(fresh: boolean, o: { name?: string; args?: string[]; cap?: CpuCap } = {}): Promise<Target> {
  const name = o.name ?? 'py';
  const prefix = path.join(WORK, name);
  if (fresh) fs.rmSync(prefix, { recursive: true, force: true });
  fs.mkdirSync(path.join(prefix, 'files'), { recursive: true });
  const port = await freePort();
  const [cmd, args] = capped(o.cap, ['python3', path.join(ROOT, 'scripts/bench/pyserver.py'), path.join(prefix, 'files'), String(port), ...(o.args ?? [])]);
  const proc = spawn(cmd, args, { stdio: 'inherit' });
  await waitPort(port, proc);
  const url = (n: string) => '/' + n.split('/').map(encodeURIComponent).join('/');
  return { name, port, proc, headers: {}, file: url, list: (d) => `/${encodeURIComponent(d)}/`, dav: url, pids: () => [proc.pid!] };
}

let daemonPassword = '';

interface DaemonTarget extends Target {
  /** With HCD_BENCH_LOOP_STATS=1: the event loop's delay since the last call (ms). */
  loopStats(): Promise<LoopStats>;
}

interface LoopStats {
  count: number;
  p50: number;
  p99: number;
  max: number;
  memory?: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
}

async function startDaemon(fresh: boolean, o: { dir?: string; cap?: CpuCap; name?: string; env?: Record<string, string> } = {}): Promise<DaemonTarget> {
  const dir = path.join(WORK, o.dir ?? 'daemon');
  const port = await freePort();
  const env = {
    ...process.env,
    HCD_PORT: String(port),
    HCD_DATA_DIR: path.join(dir, 'data'),
    HCD_DB: path.join(dir, 'hcd.db'),
    HCD_LOG_LEVEL: 'warn',
    HCD_BOOTSTRAP_ADMIN: '0',
    HCD_MIN_FREE_BYTES: String(64 * MiB),
    HCD_BENCH_LOOP_STATS: '1',
    ...o.env,
  };
  if (fresh) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    daemonPassword ||= crypto.randomBytes(12).toString('hex'); // one for every daemon of the run
    execFileSync(process.execPath, [path.join(ROOT, 'dist/daemon/src/cli/main.js'), 'create-admin', 'bench', '--password-stdin'], {
      env,
      input: daemonPassword + '\n',
      stdio: ['pipe', 'ignore', 'inherit'],
    });
  }
  const [cmd, args] = capped(o.cap, [process.execPath, ...daemonNodeArgs(), path.join(ROOT, 'dist/daemon/src/main.js')]);
  const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  // stdout carries the daemon's logs (level warn) and the loop-delay lines asked for with SIGUSR2.
  const statsWaiters: ((s: LoopStats) => void)[] = [];
  let pending = '';
  proc.stdout!.on('data', (d: Buffer) => {
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.startsWith('hcd-loop-delay ')) statsWaiters.shift()?.(JSON.parse(line.slice(15)) as LoopStats);
      else process.stderr.write(`  daemon: ${line}\n`);
    }
  });
  await waitPort(port, proc);
  o.cap?.adopt(proc.pid!);
  const res = await request({ port, headers: {} } as Target, 'POST', '/api/auth/login', {
    body: Buffer.from(JSON.stringify({ username: 'bench', password: daemonPassword })),
    headers: { 'content-type': 'application/json' },
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  const token = JSON.parse(res.text).token as string;
  return {
    name: o.name ?? 'hcd',
    port,
    proc,
    headers: { authorization: `Bearer ${token}` },
    file: (n) => '/api/fs/workspace/' + n.split('/').map(encodeURIComponent).join('/'),
    list: (d) => `/api/fs/workspace/${encodeURIComponent(d)}/`,
    dav: (n) => '/dav/workspace/' + n.split('/').map(encodeURIComponent).join('/'),
    davUser: `bench:${daemonPassword}`,
    pids: () => [proc.pid!],
    loopStats: () =>
      new Promise<LoopStats>((resolve) => {
        statsWaiters.push(resolve);
        proc.kill('SIGUSR2');
      }),
  };
}

// ---- the proposals (--proposals) ----------------------------------------------------------------

/** Downloads: nginx in front of a daemon, serving a file itself once the daemon allowed it (nginx-front.conf). */
async function startFront(fresh: boolean): Promise<Target> {
  const daemon = await startDaemon(fresh, { dir: 'front-daemon', name: 'front-daemon' });
  const prefix = path.join(WORK, 'front');
  if (fresh) fs.rmSync(prefix, { recursive: true, force: true });
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(prefix, d), { recursive: true });
  const port = await freePort();
  const conf = fs
    .readFileSync(path.join(ROOT, 'scripts/bench/nginx-front.conf'), 'utf8')
    .replaceAll('@PREFIX@', prefix)
    .replaceAll('@PORT@', String(port))
    .replaceAll('@DAEMON_PORT@', String(daemon.port))
    .replaceAll('@DATA@', path.join(WORK, 'front-daemon', 'data'))
    .replaceAll('@USER@', os.userInfo().username);
  fs.writeFileSync(path.join(prefix, 'nginx.conf'), conf);
  const nginx = spawn('nginx', ['-p', prefix, '-c', path.join(prefix, 'nginx.conf')], { stdio: 'inherit' });
  try {
    await waitPort(port, nginx);
  } catch (err) {
    await stop(daemon);
    throw err;
  }
  return {
    ...daemon,
    name: 'front',
    port,
    proc: nginx,
    pids: () => [daemon.proc.pid!, nginx.pid!, ...children(nginx.pid!)],
    stop: async () => {
      await stop({ ...daemon, stop: undefined });
      await stop({ ...daemon, proc: nginx, stop: undefined });
    },
  };
}

/** Memory: a library preloaded into the daemon, built with `cc`, whose thread calls malloc_trim(0). */
function trimLibrary(kind: 'every-second' | 'idle'): string {
  const dir = path.join(WORK, 'trim');
  const so = path.join(dir, `trim-${kind}.so`);
  if (fs.existsSync(so)) return so;
  fs.mkdirSync(dir, { recursive: true });
  const c = path.join(dir, `trim-${kind}.c`);
  // every-second: a trim each second, whatever the daemon does. idle: one trim once a second of
  // work (over 50 ms of CPU for the process) is followed by an idle one (under 10 ms), i.e. after a burst.
  const loop =
    kind === 'every-second'
      ? `static void *loop(void *arg) { (void)arg; for (;;) { sleep(1); malloc_trim(0); } return 0; }\n`
      : `static double cpu(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec / 1e9; }\n` +
        `static void *loop(void *arg) { (void)arg; double last = cpu(); int busy = 0;\n` +
        `  for (;;) { sleep(1); double now = cpu(), used = now - last; last = now;\n` +
        `    if (used > 0.05) busy = 1; else if (busy && used < 0.01) { malloc_trim(0); busy = 0; } }\n  return 0; }\n`;
  fs.writeFileSync(
    c,
    `#include <malloc.h>\n#include <pthread.h>\n#include <time.h>\n#include <unistd.h>\n` +
      loop +
      `__attribute__((constructor)) static void start(void) { pthread_t t; if (pthread_create(&t, 0, loop, 0) == 0) pthread_detach(t); }\n`,
  );
  execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', so, c, '-lpthread']);
  return so;
}

/** The resident memory of a process now: [RSS, its anonymous part], in bytes. */
function rssNow(pid: number): [number, number] {
  return [statusSum([pid], 'VmRSS'), statusSum([pid], 'RssAnon')];
}

/**
 * --idle-trim: a burst, then quiet, twice, on the daemon as it is and on the daemon with a
 * malloc_trim(0) once it goes idle: the RSS at rest, the burst's peak, and the RSS 5 s after it;
 * the downloads' throughput says whether the trim costs the next burst.
 */
async function runIdleTrim(files: { client: string }): Promise<string> {
  const so = trimLibrary('idle');
  const workloads = declareWorkloads({ big: files.client, client: files.client, small: files.client }).filter(
    (w) => w.key === 'clientsUp' || w.key === 'clientsDown',
  );
  const nRounds = ROUNDS;
  const variants: [string, Record<string, string>][] = [
    ['hcd', {}],
    ['hcd-idle-trim', { LD_PRELOAD: so }],
  ];
  type Figures = { rest: [number, number]; peak: Record<string, [number, number]>; after: Record<string, [number, number]>; mbps: Record<string, number> };
  const results: Record<string, Figures[]> = { hcd: [], 'hcd-idle-trim': [] };
  const quiet = quick ? 2000 : 5000;
  for (let round = 0; round < nRounds; round++) {
    for (const [name, env] of round % 2 ? [...variants].reverse() : variants) {
      const t = await startDaemon(true, { dir: 'trim-daemon', name, env });
      try {
        await makeFolders(t);
        await warmUp(t);
        execFileSync('sync');
        await new Promise((r) => setTimeout(r, quiet));
        const f: Figures = { rest: rssNow(t.proc.pid!), peak: {}, after: {}, mbps: {} };
        for (const w of workloads) {
          process.stderr.write(`  round ${round + 1}/${nRounds} ${name}: ${w.label}, then ${quiet / 1000} s idle\n`);
          const m = await measure(t, (count, lat) => w.run(t, count, lat));
          f.peak[w.key] = [m.rss, m.anon];
          f.mbps[w.key] = m.bytes / 1e6 / m.seconds;
          await new Promise((r) => setTimeout(r, quiet));
          f.after[w.key] = rssNow(t.proc.pid!);
        }
        results[name]!.push(f);
      } finally {
        await stop(t);
        agents.get(t.port)?.destroy();
      }
    }
  }
  fs.rmSync(path.join(WORK, 'trim-daemon'), { recursive: true, force: true });
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const burst = `${S.clients} × ${S.clientSize / MiB} MiB`;
  const mib = (rs: [number, number][]) => `${(med(rs.map((r) => r[0])) / MiB).toFixed(0)} (${(med(rs.map((r) => r[1])) / MiB).toFixed(0)})`;
  const lines = [
    `Memory after a burst — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${require_cpus()}, median of ${nRounds} round(s). RSS MiB (its anonymous part). hcd-idle-trim = the daemon with a preloaded malloc_trim(0) once it goes idle after a burst.`,
    '',
    `| daemon | at rest | ${burst} up: peak | ${quiet / 1000} s after | MB/s | ${burst} down: peak | ${quiet / 1000} s after | MB/s |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [name] of variants) {
    const rs = results[name]!;
    const cells = [mib(rs.map((r) => r.rest))];
    for (const k of ['clientsUp', 'clientsDown'])
      cells.push(mib(rs.map((r) => r.peak[k]!)), mib(rs.map((r) => r.after[k]!)), f1(med(rs.map((r) => r.mbps[k]!))));
    lines.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

/**
 * --sync-steps: 100,000 files (100 folders of 1,000) and a folder of 10,000 indexed, 100,000 audit
 * rows; each admin request timed 7 times. Each runs on the event loop from start to end, so its time
 * is how long it holds up every other request.
 */
async function runSyncSteps(): Promise<string> {
  const folders = quick ? 5 : 100;
  const bigFolder = quick ? 500 : 10_000;
  const auditRows = quick ? 5_000 : 100_000;
  const t = await startDaemon(true, { dir: 'sync-steps' });
  try {
    const ws = path.join(WORK, 'sync-steps', 'data', 'workspace');
    for (let d = 0; d < folders; d++) {
      fs.mkdirSync(path.join(ws, `d${d}`), { recursive: true });
      for (let i = 0; i < 1000; i++) fs.writeFileSync(path.join(ws, `d${d}`, `f${i}.txt`), 'x');
    }
    fs.mkdirSync(path.join(ws, 'big'));
    for (let i = 0; i < bigFolder; i++) fs.writeFileSync(path.join(ws, 'big', `n${i}.txt`), 'y');
    // A new connection: the kept-alive one went idle past the daemon's keep-alive timeout meanwhile.
    await t.loopStats();
    const t0 = performance.now();
    const rec = await request(t, 'POST', '/api/admin/reconcile', { agent: new http.Agent() });
    if (rec.status !== 200) throw new Error(`reconcile: ${rec.status} ${rec.text}`);
    const reconcile = { ms: performance.now() - t0, loop: await t.loopStats() };
    // Audit rows straight into the database (a second connection: the daemon's is in WAL mode).
    const db = new Database(path.join(WORK, 'sync-steps', 'hcd.db'));
    try {
      const ins = db.prepare('INSERT INTO audit (at, actor, ip, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)');
      const now = Date.now();
      db.transaction(() => {
        for (let i = 0; i < auditRows; i++)
          ins.run(now - (auditRows - i) * 1000, `pupil${i % 30}`, '10.0.0.2', i % 3 ? 'upload' : 'login', `workspace:/d${i % folders}/f${i}.txt`, '{"size":1}');
      })();
    } finally {
      db.close();
    }
    // Connections opened after the synchronous work above, which outlasts the daemon's keep-alive timeout.
    const timed = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
    const lines = [
      `Synchronous requests — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${require_cpus()}: ${folders * 1000 + bigFolder} files indexed, ${auditRows} audit rows; 7 of each request.`,
      '',
      '| request | status | bytes | median ms | max ms | loop delay max ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      `| reconciliation indexing ${folders * 1000 + bigFolder} new files (once) | ${rec.status} | ${rec.bytes} | ${f1(reconcile.ms)} | ${f1(reconcile.ms)} | ${f1(reconcile.loop.max)} |`,
    ];
    const basic = { authorization: 'Basic ' + Buffer.from(t.davUser!).toString('base64'), depth: '1' };
    for (const [name, url, method, headers] of [
      ['storage report', '/api/admin/storage'],
      ['users list', '/api/admin/users'],
      ['audit page of 500', '/api/admin/audit?limit=500'],
      ['audit by actor', '/api/admin/audit?actor=pupil7&limit=50'],
      ['audit since an hour ago', `/api/admin/audit?since=${iso(3600e3)}&limit=50`],
      ['audit by action, until long ago', `/api/admin/audit?action=login&until=${iso(auditRows * 800)}&limit=50`],
      [`listing ${bigFolder} files`, '/api/fs/workspace/big/'],
      ['listing 1000 files', '/api/fs/workspace/d0/'],
      [`WebDAV PROPFIND of ${bigFolder} files`, '/dav/workspace/big/', 'PROPFIND', basic],
    ] as [string, string, string?, Record<string, string>?][]) {
      const ms: number[] = [];
      let res: Res | undefined;
      await t.loopStats(); // from here: the longest the daemon's event loop was held during these 7
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        res = await request(t, method ?? 'GET', url, { agent: timed, headers });
        ms.push(performance.now() - t0);
      }
      ms.sort((a, b) => a - b);
      const loop = await t.loopStats();
      lines.push(`| ${name} | ${res!.status} | ${res!.bytes} | ${f1(ms[3]!)} | ${f1(ms[6]!)} | ${f1(loop.max)} |`);
    }
    timed.destroy();
    return lines.join('\n') + '\n';
  } finally {
    await stop(t);
    agents.get(t.port)?.destroy();
    fs.rmSync(path.join(WORK, 'sync-steps'), { recursive: true, force: true });
  }
}

/** `--daemon-node-arg=--cpu-prof` (repeatable): extra node options for the daemon, e.g. to profile it. */
function daemonNodeArgs(): string[] {
  return process.argv.filter((a) => a.startsWith('--daemon-node-arg=')).map((a) => a.slice('--daemon-node-arg='.length));
}

async function stop(t: Target): Promise<void> {
  if (t.stop) return t.stop();
  if (t.proc.exitCode !== null) return;
  const done = new Promise((r) => t.proc.once('exit', r));
  t.proc.kill('SIGTERM');
  await done;
}

// ---- HTTP --------------------------------------------------------------------------------------

const agents = new Map<number, http.Agent>();
const agent = (port: number) => {
  let a = agents.get(port);
  if (!a) agents.set(port, (a = new http.Agent({ keepAlive: true, maxSockets: 64 })));
  return a;
};

interface Res {
  status: number;
  bytes: number;
  text: string;
}

function request(
  t: Pick<Target, 'port' | 'headers'>,
  method: string,
  urlPath: string,
  o: { body?: Buffer | (() => NodeJS.ReadableStream); length?: number; headers?: Record<string, string>; keepText?: boolean; agent?: http.Agent } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...t.headers, ...o.headers };
    if (o.body !== undefined) headers['content-length'] = String(Buffer.isBuffer(o.body) ? o.body.length : o.length);
    const req = http.request({ host: '127.0.0.1', port: t.port, method, path: urlPath, headers, agent: o.agent ?? agent(t.port) }, (res) => {
      let bytes = 0;
      const chunks: Buffer[] = [];
      const keep = o.keepText || method === 'POST';
      res.on('data', (d: Buffer) => {
        bytes += d.length;
        if (keep) chunks.push(d);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, text: keep ? Buffer.concat(chunks).toString() : '' }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (o.body === undefined) req.end();
    else if (Buffer.isBuffer(o.body)) req.end(o.body);
    else o.body().pipe(req);
  });
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

// ---- measurement -------------------------------------------------------------------------------

function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime
    } catch {
      /* exited */
    }
  }
  return ticks / CLK_TCK;
}

function resetPeak(pids: number[]): void {
  // "5" resets VmHWM to the current RSS (proc(5), Linux ≥ 4.0), so each workload gets its own peak.
  for (const pid of pids) {
    try {
      fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      /* not root or gone: peak since start */
    }
  }
}

/**
 * The anonymous part of the resident memory (RssAnon: heaps, buffers, stacks), sampled every 20 ms
 * until the returned function is called, which gives its peak. The rest of the RSS is file pages,
 * mostly the executable's code (about 50 MiB of node's binary for the daemon): shared with every
 * other process running it and dropped by the kernel under memory pressure. Sampled, so a spike
 * shorter than a sample can be missed; VmHWM (peakRss) is the kernel's exact peak of the whole.
 */
function anonSampler(pids: number[]): () => number {
  let peak = 0;
  const read = () => (peak = Math.max(peak, statusSum(pids, 'RssAnon')));
  read();
  const timer = setInterval(read, 20);
  return () => {
    clearInterval(timer);
    read();
    return peak;
  };
}

/** The kernel's peak RSS (VmHWM) of these processes, summed, in bytes. */
function peakRss(pids: number[]): number {
  return statusSum(pids, 'VmHWM');
}

/** A field of /proc/<pid>/status given in kB (VmRSS, VmHWM, RssAnon…), summed over the processes, in bytes. */
function statusSum(pids: number[], field: string): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) sum += Number(m[1]) * 1024;
    } catch {
      /* gone */
    }
  }
  return sum;
}

interface Measure {
  seconds: number;
  bytes: number;
  count: number;
  errors: number;
  rss: number;
  /** Peak of the anonymous part of the RSS (anonSampler). */
  anon: number;
  cpuPerGiB: number;
  latencies: number[];
}

async function measure(t: Target, fn: (count: (res: Res, ok: number[]) => void, latencies: number[]) => Promise<void>): Promise<Measure> {
  const pids = t.pids();
  resetPeak(pids);
  const anon = anonSampler(pids);
  const cpu0 = cpuSeconds(pids);
  let bytes = 0;
  let count = 0;
  let errors = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  await fn((res, ok) => {
    count++;
    if (!ok.includes(res.status)) errors++;
    bytes += res.bytes;
  }, latencies);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pids) - cpu0;
  return {
    seconds,
    bytes,
    count,
    errors,
    rss: peakRss(pids),
    anon: anon(),
    cpuPerGiB: bytes > 0 ? cpu / (bytes / GiB) : cpu,
    latencies: latencies.sort((a, b) => a - b),
  };
}

// ---- workloads ---------------------------------------------------------------------------------

function sourceFile(name: string, size: number): string {
  const file = path.join(WORK, name);
  if (fs.existsSync(file) && fs.statSync(file).size === size) return file;
  fs.mkdirSync(WORK, { recursive: true });
  const fd = fs.openSync(file, 'w');
  const buf = Buffer.alloc(8 * MiB);
  for (let done = 0; done < size; done += buf.length) {
    crypto.randomFillSync(buf);
    fs.writeSync(fd, buf, 0, Math.min(buf.length, size - done));
  }
  fs.closeSync(fd);
  return file;
}

const upOk = [200, 201, 204];
const downOk = [200, 206];

interface Workload {
  key: string;
  label: string;
  /** Unmeasured preparation (folders, the 10,000 files of the listing). */
  setup?: (t: Target) => Promise<void>;
  run: (t: Target, count: (res: Res, ok: number[]) => void, latencies: number[]) => Promise<void>;
}

/**
 * The 2,000 small files through a real WebDAV client: 8 curl processes, each PUTting its share over one
 * kept-alive connection (`-T` paired with each URL, as a file manager's copy does), Basic auth for the daemon.
 */
async function davUpload(t: Target, src: string, count: (res: Res, ok: number[]) => void): Promise<void> {
  const names = Array.from({ length: S.small }, (_, i) => `dav/d${String(i).padStart(5, '0')}.bin`);
  const dir = fs.mkdtempSync(path.join(WORK, 'curl-'));
  try {
    await Promise.all(
      Array.from({ length: 8 }, (_, c) => {
        const mine = names.filter((_, i) => i % 8 === c);
        const cfg = path.join(dir, `c${c}.cfg`);
        const lines = ['silent', 'show-error', 'write-out = "%{http_code}\\n"', ...(t.davUser ? [`user = "${t.davUser}"`] : [])];
        for (const n of mine) lines.push(`upload-file = "${src}"`, `url = "http://127.0.0.1:${t.port}${t.dav(n)}"`, 'output = "/dev/null"');
        fs.writeFileSync(cfg, lines.join('\n') + '\n');
        return new Promise<void>((resolve, reject) => {
          const p = spawn('curl', ['-K', cfg], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          p.stdout.on('data', (d) => (out += d));
          p.on('error', reject);
          // 'close', not 'exit': the process may end before its last output has been read.
          p.on('close', (code) => {
            const codes = out.split('\n').filter(Boolean);
            if (code !== 0) process.stderr.write(`  ${t.name} WebDAV client ${c}: curl exited ${code} after ${codes.length} of ${mine.length} files\n`);
            const bad = codes.filter((x) => !upOk.includes(Number(x)));
            if (bad.length) process.stderr.write(`  ${t.name} WebDAV client ${c}: ${bad.length} refused (${[...new Set(bad)].join(', ')})\n`);
            for (let i = 0; i < mine.length; i++) count({ status: Number(codes[i] ?? 0), bytes: S.smallSize, text: '' }, upOk);
            resolve();
          });
        });
      }),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The workloads' folders, made one by one first: nginx's create_full_put_path races when parallel PUTs create the same folder. */
async function makeFolders(t: Target): Promise<void> {
  for (const d of ['big', 'small', 'clients', 'list', 'dav']) await request(t, 'PUT', t.file(`${d}/.keep`), { body: Buffer.alloc(0) });
}

function declareWorkloads(files: { big: string; client: string; small: string }): Workload[] {
  const small = crypto.randomBytes(S.smallSize);
  const names = Array.from({ length: S.small }, (_, i) => `small/f${String(i).padStart(5, '0')}.bin`);
  const clients = Array.from({ length: S.clients }, (_, i) => `clients/c${i}.bin`);
  // The same pseudo-random offsets for both servers.
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const offsets = Array.from({ length: S.ranges }, () => Math.floor(rand() * (S.big - MiB)));
  const tiny = Buffer.from('tiny file\n');
  return [
    {
      key: 'bigUp',
      label: `${S.big / MiB} MiB upload`,
      setup: makeFolders,
      run: async (t, count) => {
        const res = await request(t, 'PUT', t.file('big/one.bin'), { body: () => fs.createReadStream(files.big, { highWaterMark: MiB }), length: S.big });
        count({ ...res, bytes: S.big }, upOk);
      },
    },
    { key: 'bigDown', label: `${S.big / MiB} MiB download`, run: async (t, count) => count(await request(t, 'GET', t.file('big/one.bin')), downOk) },
    {
      key: 'smallUp',
      label: `${S.small} × 16 KiB upload, 8 clients`,
      run: (t, count) => pool(names, 8, async (n) => count({ ...(await request(t, 'PUT', t.file(n), { body: small })), bytes: small.length }, upOk)),
    },
    {
      key: 'davUp',
      label: `${S.small} × 16 KiB WebDAV upload (curl), 8 clients`,
      run: (t, count) => davUpload(t, files.small, count),
    },
    {
      key: 'smallDown',
      label: `${S.small} × 16 KiB download, 8 clients`,
      run: (t, count) => pool(names, 8, async (n) => count(await request(t, 'GET', t.file(n)), downOk)),
    },
    {
      key: 'clientsUp',
      label: `${S.clients} clients × ${S.clientSize / MiB} MiB upload`,
      run: (t, count) =>
        pool(clients, S.clients, async (n) =>
          count(
            {
              ...(await request(t, 'PUT', t.file(n), { body: () => fs.createReadStream(files.client, { highWaterMark: MiB }), length: S.clientSize })),
              bytes: S.clientSize,
            },
            upOk,
          ),
        ),
    },
    {
      key: 'clientsDown',
      label: `${S.clients} clients × ${S.clientSize / MiB} MiB download`,
      run: (t, count) => pool(clients, S.clients, async (n) => count(await request(t, 'GET', t.file(n)), downOk)),
    },
    {
      key: 'ranges',
      label: `${S.ranges} random 1 MiB ranges, 4 at a time`,
      run: (t, count) =>
        pool(offsets, 4, async (o) => count(await request(t, 'GET', t.file('big/one.bin'), { headers: { range: `bytes=${o}-${o + MiB - 1}` } }), [206])),
    },
    {
      key: 'list',
      label: `listing a folder of ${S.list} files`,
      setup: (t) =>
        pool(
          Array.from({ length: S.list }, (_, i) => `list/n${String(i).padStart(5, '0')}.txt`),
          8,
          async (n) => {
            const res = await request(t, 'PUT', t.file(n), { body: tiny });
            if (!upOk.includes(res.status)) throw new Error(`listing setup: ${res.status}`);
          },
        ),
      run: async (t, count, lat) => {
        for (let i = 0; i < S.listReps; i++) {
          const t0 = performance.now();
          const res = await request(t, 'GET', t.list('list'), { keepText: true });
          lat.push(performance.now() - t0);
          const body = JSON.parse(res.text) as { name: string }[] | { entries: { name: string }[] };
          const list = Array.isArray(body) ? body : body.entries; // the daemon's listing, or an autoindex
          count(res, list.filter((e) => !e.name.startsWith('.')).length === S.list ? [200] : []);
        }
      },
    },
  ];
}

/**
 * Untimed requests before each workload, the same for every server: small uploads, their downloads
 * and listings. Each workload runs on a freshly started server, and a fresh Node process runs its
 * JavaScript unoptimised for its first thousands of requests (2,000 16 KiB downloads measured on a
 * cold daemon went half as fast as the next 2,000). The daemon on a Pi runs for days; nginx has no
 * JIT, and the Python server's interpreter is the same warm or cold.
 */
async function warmUp(t: Target): Promise<void> {
  const n = quick ? 20 : 300;
  const dir = `warm${++warmUps}`; // new names each time: the daemon refuses to replace a file by default
  const body = Buffer.alloc(S.smallSize, 7);
  const names = Array.from({ length: n }, (_, i) => `${dir}/w${i}.bin`);
  const ok = (res: Res, codes: number[]) => {
    if (!codes.includes(res.status)) throw new Error(`${t.name} warm-up: ${res.status}`);
  };
  ok(await request(t, 'PUT', t.file(names[0]!), { body }), upOk); // the folder, before parallel PUTs
  await pool(names.slice(1), 8, async (name) => ok(await request(t, 'PUT', t.file(name), { body }), upOk));
  for (let pass = 0; pass < 4; pass++) await pool(names, 8, async (name) => ok(await request(t, 'GET', t.file(name)), downOk));
  for (let i = 0; i < n / 10; i++) ok(await request(t, 'GET', t.list(dir)), [200]);
}
let warmUps = 0;

// ---- report ------------------------------------------------------------------------------------

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const f1 = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

function report(h: Record<string, Measure>, n: Record<string, Measure>, p: Record<string, Measure>): { markdown: string; rows: Row[] } {
  const mbps = (m: Measure) => m.bytes / 1e6 / m.seconds;
  const fps = (m: Measure) => m.count / m.seconds;
  const row = (name: string, key: string, unit: string, target: number | null, f: (m: Measure) => number): Row => ({
    name,
    unit,
    hcd: f(h[key]!),
    nginx: f(n[key]!),
    py: f(p[key]!),
    target,
    m: [h[key]!, n[key]!, p[key]!],
  });
  const p50 = (m: Measure) => pct(m.latencies, 50);
  const p99 = (m: Measure) => pct(m.latencies, 99);
  // Targets: issue 16's "every workload ≥ 0.8× nginx, 16 KiB durable uploads ≥ 0.6×"; downloads and
  // ranges keep the 0.9× set before it (the stricter of the two).
  const rows: Row[] = [
    row(`${S.big / MiB} MiB upload`, 'bigUp', 'MB/s', 0.8, mbps),
    row(`${S.big / MiB} MiB download`, 'bigDown', 'MB/s', 0.9, mbps),
    row('16 KiB files up, 8 clients', 'smallUp', 'files/s', 0.6, fps),
    row('16 KiB files up over WebDAV (curl), 8 clients', 'davUp', 'files/s', 0.6, fps),
    row('16 KiB files down, 8 clients', 'smallDown', 'files/s', 0.8, fps),
    row(`${S.clients} clients × ${S.clientSize / MiB} MiB up`, 'clientsUp', 'MB/s', 0.8, mbps),
    row(`${S.clients} clients × ${S.clientSize / MiB} MiB down`, 'clientsDown', 'MB/s', 0.9, mbps),
    row(`${S.ranges} random 1 MiB ranges, 4 at a time`, 'ranges', 'MB/s', 0.9, mbps),
    row(`list ${S.list} files, p50`, 'list', 'ms', null, p50),
    row(`list ${S.list} files, p99`, 'list', 'ms', null, p99),
  ];
  const lines = [
    '| workload | unit | hcd | nginx | ratio | target | py | hcd ÷ py | peak RSS MiB (anonymous) hcd / nginx / py | CPU s/GiB hcd / nginx / py | errors hcd/nginx/py |',
    '| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    // Higher is better in every ratio: a latency's is the reference's ÷ the daemon's.
    const ratio = (ref: number) => (r.unit === 'ms' ? ref / r.hcd : r.hcd / ref);
    const target = r.target === null ? (r.name.endsWith('p99') ? '< 100 ms' : '') : `≥ ${r.target}×`;
    const pass = r.target === null ? (r.name.endsWith('p99') ? r.hcd < 100 : true) : ratio(r.nginx) >= r.target;
    const cpu = (m: Measure) => (r.unit === 'ms' || m.bytes < 64 * MiB ? '' : m.cpuPerGiB.toFixed(2));
    const cpus = r.m.map(cpu);
    lines.push(
      `| ${r.name} | ${r.unit} | ${f1(r.hcd)} | ${f1(r.nginx)} | ${ratio(r.nginx).toFixed(2)}${pass ? '' : ' ✗'} | ${target} | ${f1(r.py)} | ${ratio(r.py).toFixed(2)} | ${r.m.map(rssCell).join(' / ')} | ${cpus[0] ? cpus.join(' / ') : ''} | ${r.m.map((m) => m.errors).join('/')} |`,
    );
  }
  return { markdown: lines.join('\n'), rows };
}

/** --proposals: every server's figure, and each one's ratio to nginx, per workload. */
function proposalsReport(m: Record<string, Record<string, Measure>>, rounds: number): string {
  const names = Object.keys(m);
  const mbps = (x: Measure) => x.bytes / 1e6 / x.seconds;
  const fps = (x: Measure) => x.count / x.seconds;
  const rows: [string, string, string, (x: Measure) => number][] = [
    [`${S.big / MiB} MiB upload`, 'bigUp', 'MB/s', mbps],
    [`${S.big / MiB} MiB download`, 'bigDown', 'MB/s', mbps],
    ['16 KiB files up, 8 clients', 'smallUp', 'files/s', fps],
    ['16 KiB files up over WebDAV (curl), 8 clients', 'davUp', 'files/s', fps],
    ['16 KiB files down, 8 clients', 'smallDown', 'files/s', fps],
    [`${S.clients} clients × ${S.clientSize / MiB} MiB up`, 'clientsUp', 'MB/s', mbps],
    [`${S.clients} clients × ${S.clientSize / MiB} MiB down`, 'clientsDown', 'MB/s', mbps],
    [`${S.ranges} random 1 MiB ranges, 4 at a time`, 'ranges', 'MB/s', mbps],
    [`list ${S.list} files, p99`, 'list', 'ms', (x) => pct(x.latencies, 99)],
  ];
  const lines = [
    `Proposals — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${require_cpus()}, median of ${rounds} round(s). Each cell: figure (ratio to nginx; for the listing nginx's latency ÷ this one's), peak RSS MiB (its anonymous part), CPU s/GiB where at least 64 MiB moved, errors. front = nginx in front of the daemon (nginx-front.conf); py-group = the Python server with one syncfs per group of uploads; hcd-trim = the daemon with malloc_trim(0) every second (LD_PRELOAD).`,
    '',
    `| workload | unit | ${names.join(' | ')} |`,
    `| --- | --- | ${names.map(() => '---:').join(' | ')} |`,
  ];
  for (const [label, key, unit, f] of rows) {
    const ref = f(m.nginx![key]!);
    const cells = names.map((n) => {
      const x = m[n]![key]!;
      const v = f(x);
      const ratio = unit === 'ms' ? ref / v : v / ref;
      const cpu = unit === 'ms' || x.bytes < 64 * MiB ? '' : `, ${x.cpuPerGiB.toFixed(2)} s/GiB`;
      return `${f1(v)} (${ratio.toFixed(2)}×), ${rssCell(x)} MiB${cpu}${x.errors ? `, ${x.errors} errors` : ''}`;
    });
    lines.push(`| ${label} | ${unit} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

/** "189 (139)": the peak RSS and, in brackets, the peak of its anonymous part (anonSampler), in MiB. */
function rssCell(m: { rss: number; anon: number }): string {
  return `${(m.rss / MiB).toFixed(0)} (${(m.anon / MiB).toFixed(0)})`;
}

interface Row {
  name: string;
  unit: string;
  hcd: number;
  nginx: number;
  py: number;
  target: number | null;
  m: [Measure, Measure, Measure];
}

// ---- the class workload -------------------------------------------------------------------------

interface ClassPhase {
  seconds: number;
  /** Login phase: when the last pupil got their answer, from the start of the burst. */
  lastMs: number;
  observer: number[];
  loop: LoopStats;
  rss: number;
  anon: number;
  errors: number;
}

interface ClassRound {
  login: ClassPhase;
  uploads: ClassPhase;
  phones: ClassPhase;
}

/**
 * A class on the daemon alone: `C.pupils` accounts (made before measuring) log in at once, each from
 * its own loopback address as from its own phone; then each uploads `C.files` files and lists the
 * folder. Meanwhile an observer (an administrator, already logged in) lists the workspace every
 * 50 ms: its latency is what a teacher waits for while the class logs in.
 */
async function classRound(cap: CpuCap | undefined): Promise<ClassRound> {
  const t = await startDaemon(true, { dir: 'class', cap });
  const pupilAgents: http.Agent[] = [];
  const observerAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const json = { 'content-type': 'application/json' };
    const pupils = Array.from({ length: C.pupils }, (_, i) => ({
      username: `pupil${String(i + 1).padStart(2, '0')}`,
      password: `class-pw-${i}-${daemonPassword}`,
    }));
    for (const p of pupils) {
      const res = await request(t, 'POST', '/api/admin/users', { body: Buffer.from(JSON.stringify({ ...p, role: 'user' })), headers: json });
      if (res.status !== 201) throw new Error(`creating ${p.username}: ${res.status} ${res.text}`);
    }
    const mk = await request(t, 'POST', t.file('class'), { body: Buffer.from(JSON.stringify({ op: 'mkdir' })), headers: json });
    if (mk.status !== 201) throw new Error(`mkdir class: ${mk.status} ${mk.text}`);
    const body = crypto.randomBytes(C.fileSize);
    execFileSync('sync');

    let phase: 'idle' | 'login' | 'uploads' | 'phones' = 'idle';
    const observed: Record<string, number[]> = { login: [], uploads: [], phones: [] };
    let observerErrors = 0;
    let observing = true;
    const observer = (async () => {
      while (observing) {
        const t0 = performance.now();
        const at = phase;
        const res = await request(t, 'GET', '/api/fs/workspace/', { agent: observerAgent }).catch(() => ({ status: 0 }));
        const ms = performance.now() - t0;
        if (res.status !== 200) observerErrors++;
        // Counted in the phase it was sent in: the longest waits end after the burst that caused them.
        if (at !== 'idle') observed[at]!.push(ms);
        await new Promise((r) => setTimeout(r, Math.max(0, OBSERVER_EVERY_MS - ms)));
      }
    })();

    const runPhase = async (name: 'login' | 'uploads' | 'phones', fn: () => Promise<number>): Promise<ClassPhase> => {
      await t.loopStats(); // starts the daemon's histogram afresh
      resetPeak(t.pids());
      const anon = anonSampler(t.pids());
      const errors0 = observerErrors;
      phase = name;
      const t0 = performance.now();
      const pupilErrors = await fn();
      const seconds = (performance.now() - t0) / 1000;
      phase = 'idle';
      const loop = await t.loopStats();
      // Where the resident memory is at the phase's end (V8 heap, buffers), beside the peak RSS.
      if (loop.memory) process.stderr.write(`  ${name}: daemon memory at the end (MiB) ${JSON.stringify(loop.memory)}\n`);
      return {
        seconds,
        lastMs: 0,
        observer: observed[name]!, // the listing in flight at the phase's end is added later
        loop,
        rss: peakRss(t.pids()),
        anon: anon(),
        errors: pupilErrors + observerErrors - errors0,
      };
    };

    await new Promise((r) => setTimeout(r, 3 * OBSERVER_EVERY_MS)); // the observer is under way
    const tokens: string[] = [];
    let lastMs = 0;
    const login = await runPhase('login', async () => {
      const t0 = performance.now();
      let errors = 0;
      await Promise.all(
        pupils.map(async (p, i) => {
          const a = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress: `127.0.${1 + Math.floor(i / 200)}.${10 + (i % 200)}` });
          pupilAgents.push(a);
          const res = await request({ port: t.port, headers: {} }, 'POST', '/api/auth/login', {
            body: Buffer.from(JSON.stringify(p)),
            headers: json,
            agent: a,
          });
          lastMs = Math.max(lastMs, performance.now() - t0);
          if (res.status === 200) tokens[i] = JSON.parse(res.text).token as string;
          else errors++;
        }),
      );
      return errors;
    });
    login.lastMs = lastMs;
    const uploads = await runPhase('uploads', async () => {
      let errors = 0;
      await Promise.all(
        pupils.map(async (p, i) => {
          const me = { port: t.port, headers: { authorization: `Bearer ${tokens[i] ?? ''}` } };
          for (let k = 1; k <= C.files; k++) {
            const res = await request(me, 'PUT', t.file(`class/${p.username}-${k}.bin`), { body, agent: pupilAgents[i] });
            if (!upOk.includes(res.status)) errors++;
          }
          const res = await request(me, 'GET', t.list('class'), { agent: pupilAgents[i], keepText: true });
          if (res.status !== 200) errors++;
        }),
      );
      return errors;
    });
    // The slow phones' file, put there by the administrator between the phases (not measured).
    const big = sourceFile('src-phones.bin', PHONES.fileSize);
    const put = await request(t, 'PUT', t.file('class/film.bin'), { body: () => fs.createReadStream(big), length: PHONES.fileSize });
    if (!upOk.includes(put.status)) throw new Error(`uploading the slow phones' file: ${put.status} ${put.text}`);
    const phones = await runPhase('phones', async () => {
      const results = await Promise.all(
        pupils.map((_, i) =>
          slowDownload({ port: t.port, headers: { authorization: `Bearer ${tokens[i] ?? ''}` } }, t.file('class/film.bin'), pupilAgents[i]!),
        ),
      );
      return results.filter((ok) => !ok).length;
    });
    observing = false;
    await observer;
    return { login, uploads, phones };
  } finally {
    await stop(t);
    for (const a of [...pupilAgents, observerAgent]) a.destroy();
    agents.get(t.port)?.destroy();
    fs.rmSync(path.join(WORK, 'class'), { recursive: true, force: true });
  }
}

/**
 * One slow phone: GET at about PHONES.rate bytes/s (the client reads no faster, so TCP's window
 * holds the server back as a far phone's Wi-Fi would) for PHONES.seconds, then hangs up.
 * True when the download ran (a 200, no error) until then or to its end.
 */
function slowDownload(t: Pick<Target, 'port' | 'headers'>, urlPath: string, agent: http.Agent): Promise<boolean> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let bytes = 0;
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(stopAt);
      req.destroy();
      resolve(ok);
    };
    const stopAt = setTimeout(() => done(true), PHONES.seconds * 1000);
    const req = http.get({ host: '127.0.0.1', port: t.port, path: urlPath, headers: t.headers, agent }, (res) => {
      if (res.statusCode !== 200) return done(false);
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        const ahead = (bytes / PHONES.rate) * 1000 - (performance.now() - t0);
        if (ahead > 5) {
          res.pause();
          setTimeout(() => res.resume(), ahead);
        }
      });
      res.on('end', () => done(true));
      res.on('error', () => done(false));
    });
    req.on('error', () => done(false));
  });
}

function classReport(rounds: ClassRound[], capText: string): string {
  // The round whose last login is the median one.
  const r = [...rounds].sort((a, b) => a.login.lastMs - b.login.lastMs)[Math.floor((rounds.length - 1) / 2)]!;
  const errors = (k: keyof ClassRound) => rounds.reduce((a, x) => a + x[k].errors, 0);
  const lines = [
    `Class workload: ${C.pupils} pupils log in at once, then each uploads ${C.files} × ${C.fileSize / MiB} MiB and lists the folder; then each downloads a ${PHONES.fileSize / MiB} MiB file at about ${PHONES.rate / 1e6} MB/s for ${PHONES.seconds} s (slow phones); an observer lists the workspace every ${OBSERVER_EVERY_MS} ms. ${capText}. Median of ${rounds.length} round(s) by last login.`,
    '',
    '| class phase | duration s | last login ms | observer listings | observer worst ms | observer p95 ms | loop delay p99 ms | loop delay max ms | peak RSS MiB (anonymous) | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, k] of [
    ['login burst', 'login'],
    ['uploads and listing', 'uploads'],
    [`slow phones (${C.pupils} × ${PHONES.rate / 1e6} MB/s for ${PHONES.seconds} s)`, 'phones'],
  ] as const) {
    const p = r[k];
    // Sorted here: a listing sent in the phase and answered after its end joins the list after the phase.
    const obs = [...p.observer].sort((a, b) => a - b);
    lines.push(
      `| ${name} | ${p.seconds.toFixed(2)} | ${k === 'login' ? p.lastMs.toFixed(0) : ''} | ${obs.length} | ${obs.length ? f1(obs.at(-1)!) : ''} | ${obs.length ? f1(pct(obs, 95)) : ''} | ${f1(p.loop.p99)} | ${f1(p.loop.max)} | ${rssCell(p)} | ${errors(k)} |`,
    );
  }
  // The goal "observer p95 over the whole workload": every listing of the three phases together. The
  // loop's histogram restarts with each phase, so only its max spans the whole.
  const phases = [r.login, r.uploads, r.phones];
  const all = phases.flatMap((p) => p.observer).sort((a, b) => a - b);
  const seconds = phases.reduce((a, p) => a + p.seconds, 0);
  const peak = { rss: Math.max(...phases.map((p) => p.rss)), anon: Math.max(...phases.map((p) => p.anon)) };
  const allErrors = errors('login') + errors('uploads') + errors('phones');
  lines.push(
    `| whole workload | ${seconds.toFixed(2)} |  | ${all.length} | ${all.length ? f1(all.at(-1)!) : ''} | ${all.length ? f1(pct(all, 95)) : ''} |  | ${f1(Math.max(...phases.map((p) => p.loop.max)))} | ${rssCell(peak)} | ${allErrors} |`,
  );
  return lines.join('\n');
}

/**
 * Each workload runs on a freshly started server (so its peak RSS is its own), right after a
 * sync (so neither server inherits the other's dirty pages), nginx and the daemon alternately,
 * the order swapped each round; the report takes each figure's median over the rounds.
 */
async function main() {
  if (!fs.existsSync(path.join(ROOT, 'dist/daemon/src/main.js'))) throw new Error('run `npm run build` first');
  if (pi && (proposals || idleTrim || syncSteps))
    throw new Error('--pi runs the daemon, nginx and the Python server only: not with --proposals, --idle-trim or --sync-steps');
  fs.mkdirSync(WORK, { recursive: true });
  process.stderr.write(`bench${quick ? ' (quick)' : ''}: preparing source files in ${WORK}\n`);
  if (syncSteps) {
    const out = await runSyncSteps();
    fs.writeFileSync(path.join(WORK, 'results-sync-steps.md'), out);
    process.stdout.write(out);
    return;
  }
  if (idleTrim) {
    const out = await runIdleTrim({ client: sourceFile('src-client.bin', S.clientSize) });
    fs.writeFileSync(path.join(WORK, 'results-idle-trim.md'), out);
    process.stdout.write(out);
    return;
  }
  const classOut = proposals ? '' : await runClass();
  if (classOnly) {
    fs.writeFileSync(path.join(WORK, pi ? 'results-pi-class.md' : 'results-class.md'), classOut + '\n');
    process.stdout.write(classOut + '\n');
    return;
  }
  // --pi: the transfer workloads too, each server in turn in the same capped group.
  const cap = pi ? createCpuCap(PI_CPU_FRACTION, PI_PERIOD_US) : undefined;
  try {
    await runTransfers(classOut, cap);
  } finally {
    cap?.remove();
  }
}

/** The transfer workloads against every server (and --proposals' designs), and the report. */
async function runTransfers(classOut: string, cap: CpuCap | undefined): Promise<void> {
  const files = { big: sourceFile('src-big.bin', S.big), client: sourceFile('src-client.bin', S.clientSize), small: sourceFile('src-small.bin', S.smallSize) };
  const workloads = declareWorkloads(files);
  const rounds: Record<string, Record<string, Measure>>[] = [];
  const servers: ((fresh: boolean) => Promise<Target>)[] = [
    (fresh) => startNginx(fresh, cap),
    (fresh) => startDaemon(fresh, { cap }),
    (fresh) => startPython(fresh, { cap }),
  ];
  const names = ['nginx', 'hcd', 'py'];
  if (proposals) {
    const so = trimLibrary('every-second');
    servers.push(
      startFront,
      (fresh) => startPython(fresh, { name: 'py-group', args: ['--group-commit'] }),
      (fresh) => startDaemon(fresh, { dir: 'trim-daemon', name: 'hcd-trim', env: { LD_PRELOAD: so } }),
    );
    names.push('front', 'py-group', 'hcd-trim');
  }
  const nRounds = ROUNDS;
  for (let round = 0; round < nRounds; round++) {
    const results: Record<string, Record<string, Measure>> = Object.fromEntries(names.map((n) => [n, {}]));
    // The order turns each round, so no server always runs right after another's writes.
    const order = servers;
    const starters = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
    const fresh = new Set(starters);
    for (const w of workloads) {
      for (const start of starters) {
        const t = await start(fresh.delete(start));
        try {
          await w.setup?.(t);
          await warmUp(t);
          execFileSync('sync');
          process.stderr.write(`  round ${round + 1}/${nRounds} ${t.name}: ${w.label}\n`);
          results[t.name]![w.key] = await measure(t, (count, lat) => w.run(t, count, lat));
        } finally {
          await stop(t);
          agents.get(t.port)?.destroy();
        }
      }
    }
    rounds.push(results);
  }
  for (const d of ['daemon', 'nginx', 'py', 'front', 'front-daemon', 'py-group', 'trim-daemon'])
    fs.rmSync(path.join(WORK, d), { recursive: true, force: true });
  const median = (name: string) => Object.fromEntries(workloads.map((w) => [w.key, medianMeasure(rounds.map((r) => r[name]![w.key]!))]));
  if (proposals) {
    const out = proposalsReport(Object.fromEntries(names.map((n) => [n, median(n)])), nRounds);
    fs.writeFileSync(path.join(WORK, 'results-proposals.md'), out);
    process.stdout.write(out);
    return;
  }
  const { markdown } = report(median('hcd'), median('nginx'), median('py'));
  const capText = cap
    ? `. Every server (all its processes and threads) capped at ${PI_CPU_FRACTION} of one core (${cap.describe}) in its turn: a proxy for a Pi 4, whose four cores are each about a sixth of this machine's`
    : '';
  const header = `Home Container Drive vs nginx ${nginxVersion()} (ratio) and a Python file server, ${pythonVersion()} (hcd ÷ py) — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${require_cpus()}, median of ${nRounds} round(s)${capText}`;
  const out = `${header}\n\n${markdown}\n\n${classOut}`;
  fs.writeFileSync(path.join(WORK, pi ? 'results-pi.md' : 'results.md'), out);
  fs.writeFileSync(path.join(WORK, pi ? 'results-pi.json' : 'results.json'), JSON.stringify(rounds, null, 1));
  process.stdout.write(out);
}

/** The class workload's rounds, capped under --pi; its report (markdown). */
async function runClass(): Promise<string> {
  const cap = pi ? createCpuCap(PI_CPU_FRACTION, PI_PERIOD_US) : undefined;
  try {
    const rounds: ClassRound[] = [];
    for (let i = 0; i < C.rounds; i++) {
      process.stderr.write(`  round ${i + 1}/${C.rounds} hcd: class of ${C.pupils}${cap ? `, capped (${cap.describe})` : ''}\n`);
      rounds.push(await classRound(cap));
    }
    const capText = cap
      ? `The daemon (all its threads) capped at ${PI_CPU_FRACTION} of one core (${cap.describe}), a proxy for a Pi 4`
      : 'The daemon uncapped (`--pi` caps it at 0.67 of one core, a proxy for a Pi 4)';
    const header = `Home Container Drive — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${require_cpus()}`;
    return `${header}\n\n${classReport(rounds, capText)}\n`;
  } finally {
    cap?.remove();
  }
}

/** The round whose throughput is the median (its RSS and CPU go with it); errors are summed. */
function medianMeasure(ms: Measure[]): Measure {
  const sorted = [...ms].sort((a, b) => a.seconds - b.seconds);
  const mid = { ...sorted[Math.floor((sorted.length - 1) / 2)]! };
  mid.errors = ms.reduce((a, m) => a + m.errors, 0);
  mid.rss = Math.max(...ms.map((m) => m.rss));
  mid.anon = Math.max(...ms.map((m) => m.anon));
  return mid;
}

function nginxVersion(): string {
  const r = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  return (r.stderr || r.stdout).trim().replace(/^nginx version: /, '');
}

function pythonVersion(): string {
  const r = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  return (r.stdout || r.stderr).trim();
}

function require_cpus(): string {
  const cpus = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/gm) ?? [];
  return `${cpus.length} × ${(cpus[0] ?? '').replace(/^model name\s*:\s*/, '')}`;
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
