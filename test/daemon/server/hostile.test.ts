// A curious pupil on the same Wi-Fi, over real sockets: oversized bodies, zips raced by deletes and
// symlinks, parallel uploads against a quota, parallel password guesses, demotions in the middle of an
// upload, trash tricks, log stuffing, disguised names, and tus corner cases. Each test failed before
// the fix it guards (issue 12).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { api, dispose, errorCodeOf, listFiles, login, peakRss, poll, request, startDaemon, type Daemon } from '../../helpers/server.js';

const KiB = 1024;
const MiB = 1024 * 1024;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const tusMeta = (m: Record<string, string>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${b64(v)}`)
    .join(',');

let d: Daemon;
let admin = '';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function makeUser(username: string, role: 'user' | 'advanced' | 'admin', quotaBytes?: number): Promise<string> {
  const password = `${username}-long-secret`;
  const r = await api(d.base, admin, 'POST', '/api/admin/users', { username, password, role, ...(quotaBytes === undefined ? {} : { quotaBytes }) });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return login(d.base, username, password);
}

function put(token: string, p: string, body: Buffer, headers: Record<string, string> = {}) {
  return request(d.port, 'PUT', `/api/fs/${p}`, { headers: { ...bearer(token), 'content-length': String(body.length), ...headers }, body });
}

function tusCreate(token: string, length: number, meta: Record<string, string>, extra: Record<string, string> = {}) {
  return request(d.port, 'POST', '/api/tus', {
    headers: { ...bearer(token), 'tus-resumable': '1.0.0', 'upload-length': String(length), 'upload-metadata': tusMeta(meta), ...extra },
  });
}

function tusPatch(token: string, location: string, offset: number, body: Buffer) {
  return request(d.port, 'PATCH', location, {
    headers: {
      ...bearer(token),
      'tus-resumable': '1.0.0',
      'upload-offset': String(offset),
      'content-type': 'application/offset+octet-stream',
      'content-length': String(body.length),
    },
    body,
  });
}

before(async () => {
  d = await startDaemon({ env: { HCD_IDLE_TIMEOUT_SECONDS: '2' } });
  admin = await login(d.base, 'admin', d.adminPassword!);
});
after(() => dispose(d));

describe('1. JSON bodies are capped before they are read', () => {
  test('a 64 MiB login body is refused with 413 and the daemon does not grow', async () => {
    const before = peakRss(d.proc.pid!);
    // With a Content-Length: refused from the header.
    const big = Buffer.alloc(64 * MiB, 0x61);
    const r1 = await request(d.port, 'POST', '/api/auth/login', {
      headers: { 'content-type': 'application/json', 'content-length': String(big.length) },
      body: big,
    });
    assert.equal(r1.status, 413);
    assert.equal(errorCodeOf(r1), 'payload_too_large');
    // Chunked, no length: refused as soon as it passes the limit.
    async function* chunks() {
      for (let i = 0; i < 64; i++) yield Buffer.alloc(MiB, 0x62);
    }
    const r2 = await request(d.port, 'POST', '/api/auth/login', { headers: { 'content-type': 'application/json' }, body: chunks() });
    assert.equal(r2.status, 413);
    const r3 = await request(d.port, 'POST', '/api/fs/workspace/x', { headers: { ...bearer(admin), 'content-type': 'application/json' }, body: chunks() });
    assert.equal(r3.status, 413);
    const grown = peakRss(d.proc.pid!) - before;
    assert.ok(grown < 32 * MiB, `peak RSS grew by ${Math.round(grown / MiB)} MiB`);
    assert.equal((await api(d.base, null, 'GET', '/api/health')).status, 200);
  });

  test("the systemd unit bounds the daemon's memory", async () => {
    const { renderHomedriveService } = await import('../../../provisioning/templates/homedrive-service.js');
    assert.match(renderHomedriveService(), /^MemoryMax=\d+[KMG]$/m);
  });
});

describe('2–3. a folder zip never crashes the daemon and never follows a symlink', () => {
  test('files deleted, replaced or truncated while the zip streams: the daemon lives on', async () => {
    const names = Array.from({ length: 24 }, (_, i) => `f${String(i).padStart(2, '0')}.bin`);
    for (const n of names) assert.equal((await put(admin, `workspace/race/${n}`, Buffer.alloc(512 * KiB, n.charCodeAt(2)))).status, 201);
    // An upload in flight all along: it must survive whatever the zip does.
    const slowBody = (async function* () {
      for (let i = 0; i < 8; i++) {
        await new Promise((r) => setTimeout(r, 100));
        yield Buffer.alloc(64 * KiB, 1);
      }
    })();
    const inFlight = request(d.port, 'PUT', '/api/fs/workspace/inflight.bin', {
      headers: { ...bearer(admin), 'content-length': String(8 * 64 * KiB) },
      body: slowBody,
    });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port: d.port, path: '/api/fs/workspace/race?format=zip', headers: bearer(admin) }, resolve).on('error', reject),
    );
    assert.equal(res.statusCode, 200);
    res.pause();
    // While the client reads nothing: delete some, replace some (through the API), truncate one in place on disk.
    for (const n of names.slice(12, 16)) assert.equal((await api(d.base, admin, 'DELETE', `/api/fs/workspace/race/${n}`)).status, 200);
    for (const n of names.slice(16, 20)) {
      const r = await request(d.port, 'PUT', `/api/fs/workspace/race/${n}?overwrite=1`, {
        headers: { ...bearer(admin), 'content-length': '3000' },
        body: Buffer.alloc(3000, 8),
      });
      assert.equal(r.status, 201);
    }
    fs.truncateSync(path.join(d.dir, 'data/workspace/race', names[23]!), 10);
    const body = await new Promise<{ bytes: number; error: string | null }>((resolve) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ bytes, error: null }));
      res.on('error', (e) => resolve({ bytes, error: e.message }));
      res.on('aborted', () => resolve({ bytes, error: 'aborted' }));
      res.resume();
    });
    // The file truncated in place cannot be zipped as announced: the zip ends with an error the client sees.
    assert.ok(body.error !== null || body.bytes > 0, JSON.stringify(body));
    assert.equal((await inFlight).status, 201, 'the upload in flight finished');
    assert.equal(d.proc.exitCode, null, 'the daemon is alive');
    assert.equal((await api(d.base, admin, 'GET', '/api/fs/workspace/race/')).status, 200);
  });

  test('files that vanished before their turn are left out of an otherwise valid zip', async () => {
    for (const n of ['a.txt', 'b.txt', 'c.txt']) assert.equal((await put(admin, `workspace/gone/${n}`, Buffer.from(`content of ${n}\n`))).status, 201);
    // Removed behind the index's back: the listing still has it, the disk does not.
    fs.rmSync(path.join(d.dir, 'data/workspace/gone/b.txt'));
    const zip = await request(d.port, 'GET', '/api/fs/workspace/gone?format=zip', { headers: bearer(admin) });
    assert.equal(zip.status, 200);
    assert.deepEqual(zipNames(zip.body), ['a.txt', 'c.txt']);
  });

  test('a symlink put on the disk in place of an indexed file is not followed', async () => {
    assert.equal((await put(admin, 'workspace/links/secret.txt', Buffer.from('mine\n'))).status, 201);
    assert.equal((await put(admin, 'workspace/links/plain.txt', Buffer.from('plain\n'))).status, 201);
    const file = path.join(d.dir, 'data/workspace/links/secret.txt');
    fs.rmSync(file);
    fs.symlinkSync('/etc/passwd', file);
    const zip = await request(d.port, 'GET', '/api/fs/workspace/links?format=zip', { headers: bearer(admin) });
    assert.equal(zip.status, 200);
    assert.deepEqual(zipNames(zip.body), ['plain.txt']);
    assert.ok(!zip.body.includes(Buffer.from('root:')), 'no byte of /etc/passwd');
    const direct = await request(d.port, 'GET', '/api/fs/workspace/links/secret.txt', { headers: bearer(admin) });
    assert.equal(direct.status, 403);
  });
});

describe('4. timeouts are idle-based, not total', () => {
  test('an upload that trickles for longer than the idle timeout completes; a silent connection is closed', async () => {
    // HCD_IDLE_TIMEOUT_SECONDS=2 here: this body takes 5 s in all, a byte every 0.5 s.
    const total = 10;
    const trickle = (async function* () {
      for (let i = 0; i < total; i++) {
        await new Promise((r) => setTimeout(r, 500));
        yield Buffer.from([65 + i]);
      }
    })();
    const t0 = Date.now();
    const r = await request(d.port, 'PUT', '/api/fs/workspace/trickle.txt', { headers: { ...bearer(admin), 'content-length': String(total) }, body: trickle });
    assert.equal(r.status, 201, r.text());
    assert.ok(Date.now() - t0 >= 4500);
    const silent = await new Promise<number>((resolve) => {
      const s = net.connect(d.port, '127.0.0.1', () =>
        s.write(`PUT /api/fs/workspace/silent.txt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\nContent-Length: 5\r\n\r\nab`),
      );
      const t = Date.now();
      s.on('close', () => resolve(Date.now() - t));
      s.on('error', () => {});
    });
    assert.ok(silent >= 1500 && silent < 8000, `closed after ${silent} ms`);
  });
});

describe('5. parallel uploads cannot overrun a quota', () => {
  test('ten parallel chunked 200 KiB PUTs against 1 MiB: at most five succeed, the rest 413', async () => {
    const t = await makeUser('quotaq', 'advanced', MiB);
    const one = () =>
      request(d.port, 'PUT', `/api/fs/home/p-${Math.random().toString(36).slice(2)}.bin`, {
        headers: bearer(t),
        body: (async function* () {
          for (let i = 0; i < 4; i++) {
            yield Buffer.alloc(50 * KiB, i);
            await new Promise((r) => setTimeout(r, 20));
          }
        })(),
      });
    const results = await Promise.all(Array.from({ length: 10 }, one));
    const ok = results.filter((r) => r.status === 201).length;
    assert.ok(ok <= 5, `${ok} succeeded`);
    assert.ok(ok >= 1);
    for (const r of results.filter((x) => x.status !== 201)) assert.equal(errorCodeOf(r), 'quota_exceeded');
    const me = await api(d.base, t, 'GET', '/api/auth/me');
    assert.ok(me.json.user.usedBytes <= MiB, `used ${me.json.user.usedBytes}`);
  });

  test('parallel tus creations reserve their lengths atomically', async () => {
    const t = await makeUser('quotat', 'advanced', MiB);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => tusCreate(t, 300 * KiB, { space: 'home', path: `t${i}.bin` })));
    assert.equal(results.filter((r) => r.status === 201).length, 3);
    for (const r of results.filter((x) => x.status !== 201)) {
      assert.equal(r.status, 413);
      assert.equal(errorCodeOf(r), 'quota_exceeded');
      assert.match(String(r.headers['content-type']), /application\/json/, 'tus errors are JSON');
    }
  });
});

describe('6. parallel password guesses meet the throttle; trivial passwords are refused', () => {
  test('40 parallel wrong guesses: at most five are checked, the rest 429', async () => {
    await makeUser('guessme', 'user');
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => api(d.base, null, 'POST', '/api/auth/login', { username: 'guessme', password: `wrong-guess-${i}` })),
    );
    const checked = results.filter((r) => r.status === 401).length;
    assert.ok(checked <= 5, `${checked} guesses were checked`);
    assert.equal(results.filter((r) => r.status === 429).length, 40 - checked);
  });

  test('trivial passwords are refused with a reason', async () => {
    for (const password of ['password', '12345678', '        ', 'aaaaaaaaaa', 'Azertyuiop', 'trivialu1']) {
      const r = await api(d.base, admin, 'POST', '/api/admin/users', { username: 'trivialu1', password, role: 'user' });
      assert.equal(r.status, 400, password);
      assert.equal(r.json.error.code, 'invalid_password');
    }
  });
});

describe('7. rights are those of the moment the upload finishes', () => {
  test('a tus upload begun by an advanced user, demoted meanwhile, does not land in the container', async () => {
    const t = await makeUser('demoteme', 'advanced');
    const c = await tusCreate(t, 20, { space: 'home', path: 'late.bin' });
    assert.equal(c.status, 201);
    const loc = c.headers.location!;
    assert.equal((await tusPatch(t, loc, 0, Buffer.alloc(10, 1))).status, 204);
    assert.equal((await api(d.base, admin, 'PATCH', '/api/admin/users/demoteme', { role: 'user' })).status, 200);
    const last = await tusPatch(t, loc, 10, Buffer.alloc(10, 2));
    assert.equal(last.status, 403, last.text());
    assert.ok(!fs.existsSync(path.join(d.dir, 'data/users/demoteme/late.bin')));
  });
});

describe('8. a restore counts against the quota', () => {
  test('upload, delete, upload, restore: the restore is refused with 413', async () => {
    const t = await makeUser('restorer', 'advanced', MiB);
    assert.equal((await put(t, 'home/one.bin', Buffer.alloc(700 * KiB, 1))).status, 201);
    const del = await api(d.base, t, 'DELETE', '/api/fs/home/one.bin');
    assert.equal(del.status, 200);
    assert.equal((await put(t, 'home/two.bin', Buffer.alloc(700 * KiB, 2))).status, 201);
    const r = await api(d.base, t, 'POST', `/api/trash/${del.json.trashId}/restore`, {});
    assert.equal(r.status, 413);
    assert.equal(r.json.error.code, 'quota_exceeded');
    assert.ok(!fs.existsSync(path.join(d.dir, 'data/users/restorer/one.bin')));
  });
});

describe('8b. restores racing each other share one quota', () => {
  test('two parallel restores that only fit one at a time: one is refused with 413', async () => {
    const t = await makeUser('restorer2', 'advanced', MiB);
    const ids: number[] = [];
    for (const n of ['a.bin', 'b.bin']) {
      assert.equal((await put(t, `home/${n}`, Buffer.alloc(600 * KiB, 1))).status, 201);
      ids.push((await api(d.base, t, 'DELETE', `/api/fs/home/${n}`)).json.trashId);
    }
    const results = await Promise.all(ids.map((id) => api(d.base, t, 'POST', `/api/trash/${id}/restore`, {})));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 413]);
    const me = await api(d.base, t, 'GET', '/api/auth/me');
    assert.ok(me.json.user.usedBytes <= MiB, `used ${me.json.user.usedBytes}`);
  });
});

describe('10. tus "space" goes through the URL parser', () => {
  for (const space of ['workspace/.', 'workspace/../workspace', 'workspace/sub', '/workspace/..']) {
    test(`space "${space}" is refused`, async () => {
      const r = await tusCreate(admin, 5, { space, path: 'x.bin' });
      assert.equal(r.status, 400, r.text());
      assert.equal(errorCodeOf(r), 'invalid_path');
    });
  }
  test('"workspace/" names the workspace, and nothing phantom appears in the listing', async () => {
    const r = await tusCreate(admin, 0, { space: 'workspace/', path: 'tus-slash.txt' });
    assert.equal(r.status, 201);
    const names = await listFiles(d.base, admin);
    assert.ok(names.includes('tus-slash.txt'));
    assert.ok(
      names.every((n) => !n.startsWith('.') && !n.startsWith('/')),
      names.join(', '),
    );
  });
});

describe('11. a chunked PUT refused partway still delivers its answer', () => {
  test('twenty chunked PUTs over quota: every client reads its 413, none sees EPIPE or ECONNRESET', async () => {
    const t = await makeUser('chunky', 'advanced', 256 * KiB);
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      outcomes.push(
        await new Promise<string>((resolve) => {
          const req = http.request(
            { host: '127.0.0.1', port: d.port, method: 'PUT', path: `/api/fs/home/big-${i}.bin`, headers: bearer(t), agent: false },
            (res) => {
              res.resume();
              res.on('end', () => resolve(String(res.statusCode)));
            },
          );
          req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
          // Keeps sending after the answer, as a simple client does: 1 MiB in 16 KiB writes.
          let n = 0;
          const write = () => {
            while (n < 64) {
              n++;
              if (!req.write(Buffer.alloc(16 * KiB, n))) return void req.once('drain', write);
            }
            req.end();
          };
          write();
        }),
      );
    }
    assert.deepEqual(outcomes, Array(20).fill('413'));
  });
});

describe('12. trash rights follow the current role', () => {
  test('an admin demoted to advanced no longer sees or purges what it deleted in another container', async () => {
    const boss = await makeUser('exboss', 'admin');
    const victim = await makeUser('victim', 'advanced');
    assert.equal((await put(victim, 'home/diary.txt', Buffer.from('dear diary'))).status, 201);
    const del = await api(d.base, boss, 'DELETE', '/api/fs/users/victim/diary.txt');
    assert.equal(del.status, 200);
    assert.equal((await api(d.base, admin, 'PATCH', '/api/admin/users/exboss', { role: 'advanced' })).status, 200);
    const list = await api(d.base, boss, 'GET', '/api/trash');
    assert.deepEqual(
      list.json.items.map((i: { name: string }) => i.name),
      [],
    );
    assert.equal((await api(d.base, boss, 'DELETE', `/api/trash/${del.json.trashId}`)).status, 404);
    assert.equal((await api(d.base, boss, 'DELETE', '/api/trash')).json.purged, 0);
    assert.ok(
      (await api(d.base, admin, 'GET', '/api/trash')).json.items.some((i: { id: number }) => i.id === del.json.trashId),
      'still there for admins',
    );
  });
});

describe('13. what is logged is bounded and escaped', () => {
  test('a failed login with a 3000-character name makes a small audit row', async () => {
    const name = 'x'.repeat(3000);
    const r = await api(d.base, null, 'POST', '/api/auth/login', { username: name, password: 'whatever-pass' });
    assert.equal(r.status, 401);
    const audit = await api(d.base, admin, 'GET', '/api/admin/audit?action=login_failed&limit=1');
    const row = audit.json.entries[0];
    assert.ok(row.actor.length <= 64, `actor of ${row.actor.length} chars`);
    assert.ok(JSON.stringify(row).length < 1000);
  });

  test('request paths with control bytes are logged escaped', async () => {
    await request(d.port, 'PUT', '/api/fs/workspace/%1b%5b31mred%e2%80%ae.txt', {
      headers: { ...bearer(admin), 'content-length': '1' },
      body: Buffer.from('x'),
    });
    await poll('the request log line', () => d.output().includes('red'));
    assert.ok(!d.output().includes('\u001b[31m'), 'no raw escape sequence reached the log');
    assert.ok(!d.output().includes('\u202e'), 'no raw bidi override reached the log');
  });
});

describe('14. names that disguise themselves or cannot leave the drive are refused', () => {
  for (const [label, name] of [
    ['a right-to-left override', 'invoice\u202Efdp.exe'],
    ['a C1 control', 'a\u0085b.txt'],
    ['a Windows device name', 'con.txt'],
    ['a trailing dot', 'report.'],
    ['a trailing space', 'report '],
  ] as const) {
    test(label, async () => {
      const r = await put(admin, `workspace/${encodeURIComponent(name)}`, Buffer.from('x'));
      assert.equal(r.status, 400);
      assert.equal(errorCodeOf(r), 'invalid_path');
    });
  }
});

describe("15. bcrypt's 72-byte limit is not a way in", () => {
  test('the 72-byte password followed by anything is refused', async () => {
    const password = 'Pa55-word-'.repeat(8).slice(0, 72);
    assert.equal((await api(d.base, admin, 'POST', '/api/admin/users', { username: 'longpw', password, role: 'user' })).status, 201);
    assert.equal((await api(d.base, null, 'POST', '/api/auth/login', { username: 'longpw', password })).status, 200);
    assert.equal((await api(d.base, null, 'POST', '/api/auth/login', { username: 'longpw', password: `${password}anything` })).status, 401);
  });
});

describe('16. tus corner cases', () => {
  test('a zero-byte upload answers 201 with its Location and the file exists, mode 0640 like PUT', async () => {
    const r = await tusCreate(admin, 0, { space: 'workspace', path: 'empty.txt' });
    assert.equal(r.status, 201, r.text());
    assert.match(String(r.headers.location), /^\/api\/tus\//);
    const file = path.join(d.dir, 'data/workspace/empty.txt');
    assert.equal(fs.statSync(file).size, 0);
    assert.equal(fs.statSync(file).mode & 0o777, 0o640);
    const c = await tusCreate(admin, 4, { space: 'workspace', path: 'four.txt' });
    assert.equal((await tusPatch(admin, c.headers.location!, 0, Buffer.from('four'))).status, 204);
    assert.equal(fs.statSync(path.join(d.dir, 'data/workspace/four.txt')).mode & 0o777, 0o640);
  });
});

/** The names in a zip's central directory (stored entries; enough for these tests). */
function zipNames(zip: Buffer): string[] {
  const out: string[] = [];
  for (let i = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); i >= 0; i = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), i + 4)) {
    const nameLen = zip.readUInt16LE(i + 28);
    out.push(zip.subarray(i + 46, i + 46 + nameLen).toString('utf8'));
  }
  return out.sort();
}
