// Path safety over a real socket: raw request targets (byte for byte, no client-side normalisation)
// in every traversal spelling, Unicode normalisation, UTF-8 names end to end, and symlinks out.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { api, dispose, errorCodeOf, listFiles, login, request, sha256, startDaemon, type Daemon } from '../../helpers/server.js';

let d: Daemon | undefined;
let token = '';
let auth: Record<string, string> = {};
let workspace = '';

before(async () => {
  d = await startDaemon();
  token = await login(d.base, 'admin', d.adminPassword!);
  auth = { authorization: `Bearer ${token}` };
  workspace = path.join(d.dir, 'data', 'workspace');
});
after(() => dispose(d));

const enc = (name: string) => encodeURIComponent(name);

/** Reads every file under a folder, for the "nothing outside the space was written" checks. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (p: string) => {
    for (const e of fs.readdirSync(p, { withFileTypes: true })) {
      const abs = path.join(p, e.name);
      if (e.isDirectory()) walk(abs);
      else if (e.isFile()) out.set(path.relative(dir, abs), sha256(fs.readFileSync(abs)));
    }
  };
  walk(dir);
  return out;
}

describe('traversal in every spelling is refused with 400 and the contract error shape', () => {
  const passwd = fs.readFileSync('/etc/passwd', 'utf8');
  const cases: [label: string, rawPath: string][] = [
    ['plain ../..', '/api/fs/workspace/../../etc/passwd'],
    ['plain .. at the space level', '/api/fs/../etc/passwd'],
    ['%2e%2e segments', '/api/fs/workspace/%2e%2e/%2e%2e/etc/passwd'],
    ['%2E%2E%2F in one segment', '/api/fs/workspace/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd'],
    ['..%2f', '/api/fs/workspace/..%2f..%2f..%2fetc%2fpasswd'],
    ['mixed .%2e', '/api/fs/workspace/.%2e/.%2e/etc/passwd'],
    ['%2e%2e%5c (encoded backslash)', '/api/fs/workspace/%2e%2e%5c%2e%2e%5cetc%5cpasswd'],
    ['raw backslashes ..\\..\\', '/api/fs/workspace/..\\..\\etc\\passwd'],
    ['a backslash inside a name', '/api/fs/workspace/a\\b.txt'],
    ['%5c inside a name', '/api/fs/workspace/a%5cb.txt'],
    ['NUL %00', '/api/fs/workspace/passwd%00.txt'],
    ['NUL %00 before ..', '/api/fs/workspace/%00/../../etc/passwd'],
    ['absolute-looking //etc/passwd (empty segment)', '/api/fs/workspace//etc/passwd'],
    ['absolute path as the space', '/api/fs//etc/passwd'],
    ['single dot segment', '/api/fs/workspace/./x.txt'],
    ['invalid percent-encoding', '/api/fs/workspace/%c0%ae%c0%ae/etc/passwd'],
  ];
  for (const [label, raw] of cases) {
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      test(`${method} ${label}`, async () => {
        const body = method === 'PUT' ? Buffer.from('pwned\n') : undefined;
        const headers: Record<string, string> = { ...auth };
        if (body) headers['content-length'] = String(body.length);
        const r = await request(d!.port, method, raw, { headers, body });
        assert.equal(r.status, 400, `${method} ${raw} → ${r.status} ${r.text()}`);
        assert.match(String(r.headers['content-type']), /application\/json/);
        const code = errorCodeOf(r);
        assert.ok(['invalid_path', 'name_too_long', 'bad_request'].includes(code), `code ${code}`);
        assert.ok(!r.text().includes('root:'), 'no byte of /etc/passwd comes back');
        assert.ok(!passwd.includes('pwned'), '/etc/passwd untouched');
      });
    }
  }

  test('an over-long name (300 bytes) → 400 name_too_long, nothing created', async () => {
    const long = 'a'.repeat(300);
    for (const name of [long, enc('é'.repeat(150))]) {
      const put = await request(d!.port, 'PUT', `/api/fs/workspace/${name}`, { headers: { ...auth, 'content-length': '2' }, body: Buffer.from('hi') });
      assert.equal(put.status, 400);
      assert.equal(errorCodeOf(put), 'name_too_long');
      const get = await request(d!.port, 'GET', `/api/fs/workspace/${name}`, { headers: auth });
      assert.equal(get.status, 400);
      assert.equal(errorCodeOf(get), 'name_too_long');
    }
    // 255 bytes is the limit and still works.
    const ok = await request(d!.port, 'PUT', `/api/fs/workspace/${'b'.repeat(255)}`, { headers: { ...auth, 'content-length': '2' }, body: Buffer.from('ok') });
    assert.equal(ok.status, 201, ok.text());
    assert.ok(fs.existsSync(path.join(workspace, 'b'.repeat(255))));
  });

  test('nothing was written anywhere by the refused requests', async () => {
    const files = await listFiles(d!.base, token);
    assert.deepEqual(files, ['b'.repeat(255)]);
    assert.deepEqual(fs.readdirSync(workspace), ['b'.repeat(255)]);
    assert.deepEqual(fs.readdirSync(path.join(d!.dir, 'data', '.hcd', 'tmp')), []);
  });

  test('the refused requests did not stop the daemon', async () => {
    const r = await api(d!.base, null, 'GET', '/api/health');
    assert.equal(r.status, 200);
  });
});

describe('Unicode names', () => {
  test('NFD upload, NFC download: the same file, and one entry in the listing', async () => {
    const nfd = 'Cafe\u0301 re\u0301sume\u0301.txt';
    const nfc = nfd.normalize('NFC');
    assert.notEqual(nfd, nfc);
    const body = Buffer.from('bonjour\n');
    const put = await request(d!.port, 'PUT', `/api/fs/workspace/unicode/${enc(nfd)}`, { headers: { ...auth, 'content-length': String(body.length) }, body });
    assert.equal(put.status, 201, put.text());
    assert.equal(put.json().name, nfc);

    const get = await request(d!.port, 'GET', `/api/fs/workspace/unicode/${enc(nfc)}`, { headers: auth });
    assert.equal(get.status, 200);
    assert.deepEqual(get.body, body);
    const getNfd = await request(d!.port, 'GET', `/api/fs/workspace/unicode/${enc(nfd)}`, { headers: auth });
    assert.equal(getNfd.status, 200);
    assert.deepEqual(getNfd.body, body);

    // The NFC spelling names the same file: no twin can be created next to it.
    const again = await request(d!.port, 'PUT', `/api/fs/workspace/unicode/${enc(nfc)}`, {
      headers: { ...auth, 'content-length': '1' },
      body: Buffer.from('x'),
    });
    assert.equal(again.status, 409);
    assert.equal(errorCodeOf(again), 'exists');

    const list = await api(d!.base, token, 'GET', '/api/fs/workspace/unicode/');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.json.entries.map((e: { name: string }) => e.name),
      [nfc],
    );
    assert.deepEqual(fs.readdirSync(path.join(workspace, 'unicode')), [nfc]);
  });

  const names = ['my holiday notes.txt', 'Ärger über Straße — çà et là.md', 'photo 📷 😀 🇫🇷.jpg', '日本語 ファイル.pdf', "it's (a) name*.txt"];
  for (const name of names) {
    test(`round-trips "${name}": upload, list, download, Content-Disposition`, async () => {
      const body = Buffer.from(`content of ${name}\n`);
      const url = `/api/fs/workspace/names/${enc(name)}`;
      const put = await request(d!.port, 'PUT', url, { headers: { ...auth, 'content-length': String(body.length) }, body });
      assert.equal(put.status, 201, put.text());
      assert.equal(put.json().name, name);

      const list = await api(d!.base, token, 'GET', '/api/fs/workspace/names/');
      const entry = list.json.entries.find((e: { name: string }) => e.name === name);
      assert.ok(entry, `listed: ${JSON.stringify(list.json.entries)}`);
      assert.equal(entry.size, body.length);
      assert.ok(fs.existsSync(path.join(workspace, 'names', name)), 'stored on disk under its own name');

      const get = await request(d!.port, 'GET', `${url}?download=1`, { headers: auth });
      assert.equal(get.status, 200);
      assert.deepEqual(get.body, body);
      const cd = String(get.headers['content-disposition']);
      assert.match(cd, /^attachment;/);
      const star = /filename\*=UTF-8''([^;]+)/.exec(cd);
      assert.ok(star, cd);
      assert.equal(decodeURIComponent(star[1]!), name);
      // The ASCII fallback is a valid quoted string.
      assert.match(cd, /filename="[\x20-\x7e]*"/);
    });
  }
});

describe('symlinks leading out of the space are refused, never followed', () => {
  let outside = '';
  before(() => {
    // A folder outside the space, with a file we must never read, replace or write next to.
    outside = path.join(d!.dir, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'top secret\n');
    fs.mkdirSync(path.join(workspace, 'links'), { recursive: true });
    fs.symlinkSync('/etc', path.join(workspace, 'links', 'etc'));
    fs.symlinkSync('/etc/passwd', path.join(workspace, 'links', 'passwd'));
    fs.symlinkSync(outside, path.join(workspace, 'links', 'out'));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(workspace, 'links', 'secret.txt'));
    fs.symlinkSync('../../outside', path.join(workspace, 'rel-out'));
  });

  const refused = (r: { status: number; body: Buffer }, what: string) => {
    assert.equal(r.status, 403, `${what} → ${r.status} ${r.body.toString()}`);
    assert.equal(errorCodeOf(r), 'symlink_refused');
    assert.ok(!r.body.toString().includes('root:') && !r.body.toString().includes('top secret'), 'nothing read through the link');
  };

  test('GET through a directory link to /etc and a file link to /etc/passwd', async () => {
    refused(await request(d!.port, 'GET', '/api/fs/workspace/links/etc/passwd', { headers: auth }), 'GET links/etc/passwd');
    refused(await request(d!.port, 'GET', '/api/fs/workspace/links/etc/', { headers: auth }), 'GET links/etc/');
    refused(await request(d!.port, 'GET', '/api/fs/workspace/links/passwd', { headers: auth }), 'GET links/passwd');
    const head = await request(d!.port, 'HEAD', '/api/fs/workspace/links/passwd', { headers: auth });
    assert.equal(head.status, 403, 'HEAD links/passwd');
    assert.equal(head.body.length, 0);
    refused(await request(d!.port, 'GET', '/api/fs/workspace/links/passwd', { headers: { ...auth, range: 'bytes=0-10' } }), 'ranged GET links/passwd');
    refused(await request(d!.port, 'GET', '/api/fs/workspace/rel-out/secret.txt', { headers: auth }), 'GET rel-out/secret.txt');
    refused(await request(d!.port, 'GET', '/api/fs/workspace/links/secret.txt', { headers: auth }), 'GET links/secret.txt');
  });

  test('PUT through a link writes nothing outside, and never replaces the link target', async () => {
    const before = snapshot(outside);
    const body = Buffer.from('written through a link\n');
    const h = { ...auth, 'content-length': String(body.length) };
    refused(await request(d!.port, 'PUT', '/api/fs/workspace/links/out/new.txt', { headers: h, body }), 'PUT links/out/new.txt');
    refused(await request(d!.port, 'PUT', '/api/fs/workspace/links/out/deeper/new.txt', { headers: h, body }), 'PUT links/out/deeper/new.txt');
    refused(await request(d!.port, 'PUT', '/api/fs/workspace/links/secret.txt?overwrite=1', { headers: h, body }), 'PUT overwrite links/secret.txt');
    refused(await request(d!.port, 'PUT', '/api/fs/workspace/rel-out/new.txt', { headers: h, body }), 'PUT rel-out/new.txt');
    const marker = `hcd-test-${process.pid}-${Date.now()}.txt`;
    refused(await request(d!.port, 'PUT', `/api/fs/workspace/links/etc/${marker}`, { headers: h, body }), 'PUT links/etc/<new>');
    assert.equal(fs.existsSync(path.join('/etc', marker)), false);
    assert.deepEqual(snapshot(outside), before);
    assert.ok(fs.lstatSync(path.join(workspace, 'links', 'secret.txt')).isSymbolicLink(), 'the link itself is left alone');
    assert.deepEqual(fs.readdirSync(path.join(d!.dir, 'data', '.hcd', 'tmp')), []);
  });

  test('DELETE and move through a link are refused too, and the target survives', async () => {
    refused(await request(d!.port, 'DELETE', '/api/fs/workspace/links/out/secret.txt', { headers: auth }), 'DELETE links/out/secret.txt');
    const mv = await request(d!.port, 'POST', '/api/fs/workspace/links/out/secret.txt', {
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ op: 'move', to: '/stolen.txt' }),
    });
    refused(mv, 'move links/out/secret.txt');
    assert.equal(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8'), 'top secret\n');
    assert.equal(fs.existsSync(path.join(workspace, 'stolen.txt')), false);
  });

  test('reconcile skips the links instead of indexing what they point to', async () => {
    const rep = await api(d!.base, token, 'POST', '/api/admin/reconcile');
    assert.equal(rep.status, 200);
    const files = await listFiles(d!.base, token);
    assert.ok(!files.some((f) => f.startsWith('links/') || f.startsWith('rel-out')), JSON.stringify(files));
  });
});
