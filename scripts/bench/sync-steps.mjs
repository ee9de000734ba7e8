// Issue 16, item 2: the daemon's synchronous steps with a big index. 100,000 files (100 folders of
// 1,000) and a 10,000-file folder on disk, 100,000 audit rows; times each admin request (median and max
// of 7). Each request runs on the event loop from start to end, so its time is how long it holds up
// every other request. `npm run build` first, then: node scripts/bench/sync-steps.mjs
// (the data, about 450 MB of inodes, stays in .cache/bench/sync-steps between runs).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = path.join(ROOT, '.cache/bench/sync-steps');
const port = 18500 + Math.floor(Math.random() * 400);
const env = { ...process.env, HCD_PORT: String(port), HCD_DATA_DIR: dir + '/data', HCD_DB: dir + '/hcd.db', HCD_LOG_LEVEL: 'warn', HCD_BOOTSTRAP_ADMIN: '0' };
if (!fs.existsSync(dir + '/ready')) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  execFileSync(process.execPath, [ROOT + '/dist/daemon/src/cli/main.js', 'create-admin', 'bench', '--password-stdin'], { env, input: 'benchbenchbench1\n' });
  const ws = dir + '/data/workspace';
  for (let d = 0; d < 100; d++) {
    const p = `${ws}/d${d}`;
    fs.mkdirSync(p, { recursive: true });
    for (let i = 0; i < 1000; i++) fs.writeFileSync(`${p}/f${i}.txt`, 'x');
  }
  fs.mkdirSync(`${ws}/big`);
  for (let i = 0; i < 10000; i++) fs.writeFileSync(`${ws}/big/n${i}.txt`, 'y');
  const db = new Database(dir + '/hcd.db');
  const ins = db.prepare('INSERT INTO audit (at, actor, ip, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < 100000; i++)
      ins.run(Date.now() - (100000 - i) * 1000, `pupil${i % 30}`, '10.0.0.2', i % 3 ? 'upload' : 'login', `workspace:/d${i % 100}/f${i}.txt`, '{"size":1}');
  })();
  db.close();
  fs.writeFileSync(dir + '/ready', '');
}
const proc = spawn(process.execPath, [ROOT + '/dist/daemon/src/main.js'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
const req = (method, p, headers, body) =>
  new Promise((res, rej) => {
    const t0 = performance.now();
    const r = http.request({ port, method, path: p, headers }, (s) => {
      let n = 0;
      let t = '';
      s.on('data', (c) => {
        n += c.length;
        if (t.length < 300) t += c;
      });
      s.on('end', () => res({ status: s.statusCode, bytes: n, ms: performance.now() - t0, text: t }));
    });
    r.on('error', rej);
    r.end(body);
  });
for (let i = 0; i < 600; i++) {
  try {
    await req('GET', '/api/health', {});
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 100));
  }
}
await new Promise((r) => setTimeout(r, 8000)); // the start's reconciliation indexes the files
const login = await req('POST', '/api/auth/login', { 'content-type': 'application/json' }, JSON.stringify({ username: 'bench', password: 'benchbenchbench1' }));
const auth = { authorization: 'Bearer ' + JSON.parse(login.text).token };
for (const [name, p] of [
  ['storage report', '/api/admin/storage'],
  ['users list', '/api/admin/users'],
  ['audit page 500', '/api/admin/audit?limit=500'],
  ['audit by actor', '/api/admin/audit?actor=pupil7&limit=50'],
  ['audit since', `/api/admin/audit?since=${new Date(Date.now() - 3600e3).toISOString()}&limit=50`],
  ['audit by action+until', `/api/admin/audit?action=login&until=${new Date(Date.now() - 80000e3).toISOString()}&limit=50`],
  ['list 10k', '/api/fs/workspace/big/'],
  ['list 1k', '/api/fs/workspace/d5/'],
  ['trash', '/api/trash'],
]) {
  const ms = [];
  let bytes, status;
  for (let i = 0; i < 7; i++) {
    const r = await req('GET', p, auth);
    ms.push(r.ms);
    bytes = r.bytes;
    status = r.status;
  }
  ms.sort((a, b) => a - b);
  console.log(`${name.padEnd(22)} ${status} ${String(bytes).padStart(8)} B  median ${ms[3].toFixed(1)} ms  max ${ms[6].toFixed(1)} ms`);
}
proc.kill();
