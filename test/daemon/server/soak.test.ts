// kill -9 at random moments while lanes of clients upload (PUT and tus), move, delete, restore and
// download zips; after each restart: nothing acknowledged is lost, nothing partial is visible, the
// disk and the index agree, and `hcd doctor` is clean (issue 12, item 17).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, api, dirEntries, diskFiles, listFiles, login, request, sha256, startDaemon, type Daemon } from '../../helpers/server.js';

const KiB = 1024;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-soak-'));
const workspace = path.join(dir, 'data', 'workspace');
const daemons: Daemon[] = [];
after(async () => {
  for (const d of daemons) if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A lane's files as the client was told they are: path → SHA-256 (present) or null (absent). */
type State = Map<string, string | null>;
type Op = (s: State) => void;

interface Lane {
  name: string;
  acked: State;
  /** The operation sent but not answered when the daemon died: its effect may or may not be there. */
  pending: Op | null;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function runLane(d: Daemon, token: string, lane: Lane, alive: () => boolean): Promise<void> {
  const auth = { authorization: `Bearer ${token}` };
  const base = `/api/fs/workspace/${lane.name}`;
  const step = async <T>(op: Op, send: () => Promise<T>, ok: (r: T) => boolean): Promise<T | null> => {
    lane.pending = op;
    let r: T;
    try {
      r = await send();
    } catch {
      return null; // the daemon died under it: stays pending
    }
    if (!ok(r)) {
      lane.pending = null;
      throw new Error(`${lane.name}: unexpected answer ${JSON.stringify(r).slice(0, 300)}`);
    }
    op(lane.acked);
    lane.pending = null;
    return r;
  };
  for (let i = 0; alive(); i++) {
    const body = crypto.randomBytes(KiB + crypto.randomInt(200 * KiB));
    const h = sha256(body);
    const f = `f${i}.bin`;
    const g = `g${i}.bin`;
    const t = `t${i}.bin`;
    // Upload by PUT.
    if (
      !(await step(
        (s) => s.set(f, h),
        () => request(d.port, 'PUT', `${base}/${f}`, { headers: { ...auth, 'content-length': String(body.length) }, body }),
        (r) => r.status === 201,
      ))
    )
      return;
    // A zip of the lane meanwhile: whatever it returns, the daemon must live on.
    void request(d.port, 'GET', `${base}?format=zip`, { headers: auth }).catch(() => {});
    // Move.
    if (
      !(await step(
        (s) => (s.set(f, null), s.set(g, h)),
        () => api(d.base, token, 'POST', `${base}/${f}`, { op: 'move', to: `/${lane.name}/${g}` }),
        (r) => r.status === 200,
      ))
    )
      return;
    // Delete, then restore.
    const del = await step(
      (s) => s.set(g, null),
      () => api(d.base, token, 'DELETE', `${base}/${g}`),
      (r) => r.status === 200,
    );
    if (!del) return;
    if (
      !(await step(
        (s) => s.set(g, h),
        () => api(d.base, token, 'POST', `/api/trash/${del.json.trashId}/restore`, {}),
        (r) => r.status === 200,
      ))
    )
      return;
    // A resumable upload in two PATCHes; only the last one's 204 acknowledges the file.
    const tbody = crypto.randomBytes(2 * KiB + crypto.randomInt(300 * KiB));
    const c = await request(d.port, 'POST', '/api/tus', {
      headers: {
        ...auth,
        'tus-resumable': '1.0.0',
        'upload-length': String(tbody.length),
        'upload-metadata': `space ${b64('workspace')},path ${b64(`/${lane.name}/${t}`)}`,
      },
    }).catch(() => null);
    if (!c) return;
    assert.equal(c.status, 201, c.text());
    const half = Math.floor(tbody.length / 2);
    const patch = (offset: number, part: Buffer) =>
      request(d.port, 'PATCH', c.headers.location!, {
        headers: {
          ...auth,
          'tus-resumable': '1.0.0',
          'upload-offset': String(offset),
          'content-type': 'application/offset+octet-stream',
          'content-length': String(part.length),
        },
        body: part,
      });
    const p1 = await patch(0, tbody.subarray(0, half)).catch(() => null);
    if (!p1) return;
    assert.equal(p1.status, 204, p1.text());
    if (
      !(await step(
        (s) => s.set(t, sha256(tbody)),
        () => patch(half, tbody.subarray(half)),
        (r) => r.status === 204,
      ))
    )
      return;
  }
}

/** The lane's files as the drive shows them now (listing + content hashes). */
async function observe(d: Daemon, token: string, lane: string): Promise<State> {
  const out: State = new Map();
  const res = await api(d.base, token, 'GET', `/api/fs/workspace/${lane}/`);
  if (res.status === 404) return out;
  assert.equal(res.status, 200);
  for (const e of res.json.entries as { name: string; type: string }[]) {
    const r = await request(d.port, 'GET', `/api/fs/workspace/${lane}/${e.name}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, `${lane}/${e.name}: ${r.status}`);
    out.set(e.name, sha256(r.body));
  }
  return out;
}

const present = (s: State) => new Map([...s].filter(([, v]) => v !== null));
const same = (a: State, b: State) => JSON.stringify([...present(a)].sort()) === JSON.stringify([...present(b)].sort());

test('kill -9 at random moments: nothing acknowledged lost, nothing partial, disk and index agree, doctor clean', { timeout: 240_000 }, async () => {
  let password = '';
  const rounds = 8;
  for (let round = 0; round < rounds; round++) {
    const d = await startDaemon({ dir });
    daemons.push(d);
    password ||= d.adminPassword!;
    const token = await login(d.base, 'admin', password);
    const lanes: Lane[] = Array.from({ length: 4 }, (_, i) => ({ name: `r${round}-lane${i}`, acked: new Map(), pending: null }));
    let alive = true;
    const running = lanes.map((l) => runLane(d, token, l, () => alive));
    await new Promise((r) => setTimeout(r, 150 + crypto.randomInt(900)));
    alive = false;
    d.proc.kill('SIGKILL');
    await d.stop('SIGKILL');
    await Promise.all(running);

    // Restart on the same data: recovery runs before it listens.
    const d2 = await startDaemon({ dir });
    daemons.push(d2);
    const t2 = await login(d2.base, 'admin', password);
    for (const lane of lanes) {
      const now = await observe(d2, t2, lane.name);
      const after = new Map(lane.acked);
      lane.pending?.(after);
      assert.ok(
        same(now, lane.acked) || same(now, after),
        `${lane.name}: found ${JSON.stringify([...present(now)])}, acknowledged ${JSON.stringify([...present(lane.acked)])}, or with the pending operation ${JSON.stringify([...present(after)])}`,
      );
    }
    // Nothing partial: no temp file left, and the disk and the index list the same files.
    assert.deepEqual(dirEntries(path.join(dir, 'data', '.hcd', 'tmp')), []);
    assert.deepEqual(diskFiles(workspace), await listFiles(d2.base, t2));
    await d2.stop('SIGTERM');
    const doctor = spawnSync(process.execPath, [CLI, 'doctor'], { env: { PATH: process.env.PATH ?? '', ...d2.env }, encoding: 'utf8' });
    assert.equal(doctor.status, 0, doctor.stdout + doctor.stderr);
    assert.doesNotMatch(doctor.stdout, /FAIL/);
    assert.match(doctor.stdout, / 0 indexed file\(s\) missing from disk/);
  }
});
