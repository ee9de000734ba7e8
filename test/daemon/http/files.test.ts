// The file API in-process: download headers, overwrite rule, folders, moves, trash, zip, quotas, names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { errorCode, makeApp } from '../../helpers/app.js';

test('download: type, length, ETag/304, Last-Modified, Range/206, 416, UTF-8 Content-Disposition, HEAD', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const a = await h.user('ada', 'advanced');
  const name = 'Relevé été 😀.txt';
  const up = await h.put(a, `workspace/${encodeURIComponent(name)}`, '0123456789');
  assert.equal(up.status, 201);
  const entry = await up.json();
  assert.deepEqual({ ...entry, mtime: typeof entry.mtime }, { name, type: 'file', size: 10, mtime: 'string', owner: 'ada', canDelete: true });
  const url = `/api/fs/workspace/${encodeURIComponent(name)}`;
  const r = await h.req('GET', url, { token: a.token });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(r.headers.get('content-length'), '10');
  assert.equal(r.headers.get('accept-ranges'), 'bytes');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  const cd = r.headers.get('content-disposition')!;
  assert.match(cd, /^inline; filename="[\x20-\x7e]+"; filename\*=UTF-8''/);
  assert.equal(decodeURIComponent(cd.split("UTF-8''")[1]!), name);
  assert.equal(await r.text(), '0123456789');
  const etag = r.headers.get('etag')!;
  assert.match(etag, /^"[^"]+"$/);
  assert.ok(Date.parse(r.headers.get('last-modified')!) > 0);
  const nm = await h.req('GET', url, { token: a.token, headers: { 'if-none-match': etag } });
  assert.equal(nm.status, 304);
  assert.equal(await nm.text(), '');
  const ims = await h.req('GET', url, { token: a.token, headers: { 'if-modified-since': r.headers.get('last-modified')! } });
  assert.equal(ims.status, 304);
  const part = await h.req('GET', url, { token: a.token, headers: { range: 'bytes=2-4' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), 'bytes 2-4/10');
  assert.equal(await part.text(), '234');
  const stale = await h.req('GET', url, { token: a.token, headers: { range: 'bytes=2-4', 'if-range': '"other"' } });
  assert.equal(stale.status, 200, 'If-Range with another ETag sends the whole file');
  const bad = await h.req('GET', url, { token: a.token, headers: { range: 'bytes=50-' } });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers.get('content-range'), 'bytes */10');
  assert.equal(await errorCode(bad), 'range_not_satisfiable');
  const head = await h.req('HEAD', url, { token: a.token });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), '10');
  assert.equal(await head.text(), '');
  const att = await h.req('GET', `${url}?download=1`, { token: a.token });
  assert.match(att.headers.get('content-disposition')!, /^attachment;/);
  assert.equal((await h.req('GET', '/api/fs/workspace/nothing.txt', { token: a.token })).status, 404);
});

test('upload: parents created, SHA-256 recorded, overwrite rule, old version kept in trash', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const a = await h.user('ada', 'advanced');
  assert.equal((await h.put(a, 'workspace/deep/er/file.bin', 'v1')).status, 201);
  const row = h.deps.drive.files.get('workspace', 'deep/er/file.bin')!;
  assert.equal(row.sha256, crypto.createHash('sha256').update('v1').digest('hex'));
  assert.equal(h.deps.drive.files.get('workspace', 'deep/er')!.owner, 'ada', 'implicit folders are owned too');
  const again = await h.put(a, 'workspace/deep/er/file.bin', 'v2');
  assert.equal(again.status, 409);
  assert.equal(await errorCode(again), 'exists');
  assert.equal(fs.readFileSync(path.join(h.dataDir, 'workspace/deep/er/file.bin'), 'utf8'), 'v1', 'a refused overwrite changes nothing');
  assert.equal((await h.put(a, 'workspace/deep/er/file.bin', 'v2', '?overwrite=1')).status, 201);
  assert.equal(await (await h.req('GET', '/api/fs/workspace/deep/er/file.bin', { token: a.token })).text(), 'v2');
  const trash = (await h.json(h.req('GET', '/api/trash', { token: a.token }))).items;
  assert.equal(trash.length, 1);
  assert.equal(trash[0].reason, 'overwrite');
  // Restoring the old version next to the new one.
  const rs = await h.req('POST', `/api/trash/${trash[0].id}/restore`, { token: a.token, body: { to: '/deep/er/file (v1).bin' } });
  assert.equal(rs.status, 200);
  assert.equal(await (await h.req('GET', `/api/fs/workspace/deep/er/${encodeURIComponent('file (v1).bin')}`, { token: a.token })).text(), 'v1');
  // A folder in the way, a file in the path, the space root.
  assert.equal(await errorCode(await h.put(a, 'workspace/deep', 'x', '?overwrite=1')), 'is_a_directory');
  assert.equal(await errorCode(await h.put(a, 'workspace/deep/er/file.bin/x', 'x')), 'not_a_directory');
  assert.equal((await h.put(a, 'workspace/', 'x')).status, 400);
  assert.deepEqual(fs.readdirSync(path.join(h.dataDir, '.hcd/tmp')), [], 'no temporary file left behind');
});

test('folders, rename, move within a space; conflicts and nonsense refused', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const a = await h.user('ada', 'advanced');
  const post = (p: string, body: unknown) => h.req('POST', `/api/fs/${p}`, { token: a.token, body });
  assert.equal((await post('workspace/Photos', { op: 'mkdir' })).status, 201);
  assert.equal(await errorCode(await post('workspace/Photos', { op: 'mkdir' })), 'exists');
  await h.put(a, 'workspace/Photos/a.jpg', 'A');
  await h.put(a, 'workspace/Photos/sub/b.jpg', 'B');
  assert.equal((await post('workspace/Photos', { op: 'move', to: '/Albums/2026' })).status, 200);
  const l = await h.json(h.req('GET', '/api/fs/workspace/Albums/2026/', { token: a.token }));
  assert.equal(l.path, '/Albums/2026');
  assert.deepEqual(
    l.entries.map((e: { name: string; type: string }) => `${e.type}:${e.name}`),
    ['dir:sub', 'file:a.jpg'],
  );
  assert.equal(await (await h.req('GET', '/api/fs/workspace/Albums/2026/sub/b.jpg', { token: a.token })).text(), 'B');
  assert.equal(h.deps.drive.files.get('workspace', 'Albums/2026/sub/b.jpg')!.owner, 'ada');
  assert.equal(h.deps.drive.files.get('workspace', 'Photos/sub/b.jpg'), undefined);
  assert.equal(await errorCode(await post('workspace/Albums', { op: 'move', to: '/Albums/2026/inside' })), 'invalid_path');
  await h.put(a, 'workspace/c.txt', 'C');
  assert.equal(await errorCode(await post('workspace/c.txt', { op: 'move', to: '/Albums' })), 'exists');
  assert.equal(await errorCode(await post('workspace/c.txt', { op: 'move', to: '/../c.txt' })), 'invalid_path');
  assert.equal(await errorCode(await post('workspace/c.txt', { op: 'explode' })), 'bad_request');
  assert.equal((await post('workspace/missing.txt', { op: 'move', to: '/x' })).status, 404);
  // Rename keeps the bytes.
  assert.equal((await post('workspace/c.txt', { op: 'move', to: 'ç é.txt' })).status, 200);
  assert.equal(await (await h.req('GET', `/api/fs/workspace/${encodeURIComponent('ç é.txt')}`, { token: a.token })).text(), 'C');
});

test('delete to trash, restore with owners, purge; conflicts on restore', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  const u = await h.user('ulla', 'user');
  await h.put(u, 'workspace/proj/u.txt', 'from ulla');
  await h.put(admin, 'workspace/proj/r.txt', 'from root');
  const del = await h.req('DELETE', '/api/fs/workspace/proj', { token: admin.token });
  assert.equal(del.status, 200);
  const { trashId } = await del.json();
  assert.equal(fs.existsSync(path.join(h.dataDir, 'workspace/proj')), false);
  assert.equal((await h.req('GET', '/api/fs/workspace/proj/u.txt', { token: u.token })).status, 404);
  const [item] = (await h.json(h.req('GET', '/api/trash', { token: admin.token }))).items;
  assert.deepEqual(
    { id: item.id, path: item.path, type: item.type, size: item.size, deletedBy: item.deletedBy },
    { id: trashId, path: '/proj', type: 'dir', size: 18, deletedBy: 'root1' },
  );
  // Something new took the name: restore refuses, then succeeds elsewhere.
  await h.put(u, 'workspace/proj', 'a file now');
  const clash = await h.req('POST', `/api/trash/${trashId}/restore`, { token: admin.token });
  assert.equal(clash.status, 409);
  assert.equal((await h.req('POST', `/api/trash/${trashId}/restore`, { token: admin.token, body: { to: '/restored/proj' } })).status, 200);
  assert.equal(h.deps.drive.files.get('workspace', 'restored/proj/u.txt')!.owner, 'ulla', 'owners survive the trash');
  assert.equal(await (await h.req('GET', '/api/fs/workspace/restored/proj/r.txt', { token: u.token })).text(), 'from root');
  // Purge one, then all.
  await h.req('DELETE', '/api/fs/workspace/restored', { token: admin.token });
  await h.req('DELETE', '/api/fs/workspace/proj', { token: admin.token });
  const items = (await h.json(h.req('GET', '/api/trash', { token: admin.token }))).items;
  assert.equal(items.length, 2);
  assert.equal((await h.req('DELETE', `/api/trash/${items[0].id}`, { token: admin.token })).status, 200);
  assert.equal((await h.req('POST', `/api/trash/${items[0].id}/restore`, { token: admin.token })).status, 404);
  assert.deepEqual(await h.json(h.req('DELETE', '/api/trash', { token: admin.token })), { purged: 1 });
  assert.deepEqual(fs.readdirSync(path.join(h.dataDir, '.hcd/trash')), []);
  assert.equal((await h.req('DELETE', '/api/fs/workspace/', { token: admin.token })).status, 400);
  assert.equal((await h.req('POST', '/api/trash/abc/restore', { token: admin.token })).status, 400);
});

test('zip download of a folder streams every file with its UTF-8 name', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const a = await h.user('ada', 'advanced');
  const big = crypto.randomBytes(300_000);
  await h.put(a, 'workspace/Trip/Jour 1/été 😀.txt', 'sunny');
  await h.put(a, 'workspace/Trip/video.bin', big);
  await h.req('POST', '/api/fs/workspace/Trip/empty', { token: a.token, body: { op: 'mkdir' } });
  const r = await h.req('GET', '/api/fs/workspace/Trip?format=zip', { token: a.token });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/zip');
  assert.match(r.headers.get('content-disposition')!, /attachment; .*Trip\.zip/);
  const zipFile = path.join(h.dir, 'out.zip');
  fs.writeFileSync(zipFile, Buffer.from(await r.arrayBuffer()));
  // Python's zipfile checks every CRC (testzip) and decodes the UTF-8 names.
  const out = execFileSync('python3', [
    '-c',
    `
import zipfile, sys, hashlib, json
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))
`,
    zipFile,
  ]).toString();
  const listing = JSON.parse(out);
  const sha = (b: string | Buffer) => crypto.createHash('sha256').update(b).digest('hex');
  assert.deepEqual(listing, { 'Jour 1/': sha(''), 'Jour 1/été 😀.txt': sha('sunny'), 'empty/': sha(''), 'video.bin': sha(big) });
  const ws = await h.req('GET', '/api/fs/workspace/?format=zip', { token: a.token });
  assert.match(ws.headers.get('content-disposition')!, /workspace\.zip/);
  await ws.arrayBuffer();
});

test('quotas: refused before writing (413 quota_exceeded), counted per owner, overwrite credited', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  const u = await h.user('ulla', 'user');
  assert.equal((await h.req('PATCH', '/api/admin/users/ulla', { token: admin.token, body: { quotaBytes: 1000 } })).status, 200);
  assert.equal((await h.put(u, 'workspace/a.bin', new Uint8Array(600))).status, 201);
  const over = await h.req('PUT', '/api/fs/workspace/b.bin', { token: u.token, body: new Uint8Array(500), headers: { 'content-length': '500' } });
  assert.equal(over.status, 413);
  assert.equal(await errorCode(over), 'quota_exceeded');
  // Without a Content-Length the stream is cut as soon as it passes the quota.
  const chunked = await h.req('PUT', '/api/fs/workspace/c.bin', { token: u.token, body: new Uint8Array(500) });
  assert.equal(chunked.status, 413);
  assert.equal(fs.existsSync(path.join(h.dataDir, 'workspace/b.bin')), false);
  assert.equal(fs.existsSync(path.join(h.dataDir, 'workspace/c.bin')), false);
  assert.deepEqual(fs.readdirSync(path.join(h.dataDir, '.hcd/tmp')), []);
  assert.equal((await h.put(u, 'workspace/d.bin', new Uint8Array(400))).status, 201);
  const me = await h.json(h.req('GET', '/api/auth/me', { token: u.token }));
  assert.deepEqual([me.user.quotaBytes, me.user.usedBytes], [1000, 1000]);
  // Others are not affected by ulla's quota.
  assert.equal((await h.put(admin, 'workspace/e.bin', new Uint8Array(5000))).status, 201);
  const users = (await h.json(h.req('GET', '/api/admin/users', { token: admin.token }))).users;
  assert.equal(users.find((x: { username: string }) => x.username === 'ulla').usedBytes, 1000);
});

test('Unicode: an NFD name and its NFC twin are one file; names with spaces and emoji list and download', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const a = await h.user('ada', 'advanced');
  const nfd = 'Cafe\u0301 🎉.txt';
  const nfc = nfd.normalize('NFC');
  assert.equal((await h.put(a, `workspace/${encodeURIComponent(nfd)}`, 'once')).status, 201);
  const twin = await h.put(a, `workspace/${encodeURIComponent(nfc)}`, 'twice');
  assert.equal(twin.status, 409, 'the NFC spelling names the same file');
  assert.equal(await (await h.req('GET', `/api/fs/workspace/${encodeURIComponent(nfc)}`, { token: a.token })).text(), 'once');
  const l = await h.json(h.req('GET', '/api/fs/workspace/', { token: a.token }));
  assert.deepEqual(
    l.entries.map((e: { name: string }) => e.name),
    [nfc],
  );
  assert.deepEqual(fs.readdirSync(path.join(h.dataDir, 'workspace')), [nfc]);
});

test('symlinks inside a space are refused, never followed', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const admin = await h.user('root1', 'admin');
  fs.symlinkSync('/etc', path.join(h.dataDir, 'workspace/etc-link'));
  fs.symlinkSync('/etc/hostname', path.join(h.dataDir, 'workspace/host-link'));
  for (const p of ['etc-link/hostname', 'host-link', 'etc-link/']) {
    const r = await h.req('GET', `/api/fs/workspace/${p}`, { token: admin.token });
    assert.equal(r.status, 403, p);
    assert.equal(await errorCode(r), 'symlink_refused');
  }
  assert.equal((await h.put(admin, 'workspace/etc-link/evil.txt', 'x')).status, 403);
  assert.equal(fs.existsSync('/etc/evil.txt'), false);
  assert.equal((await h.req('DELETE', '/api/fs/workspace/etc-link/hostname', { token: admin.token })).status, 403);
});

test('user files are sandboxed (no script runs as the site), PDFs excepted so viewers can show them', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const a = await h.user('ada', 'advanced');
  await h.put(a, 'workspace/page.html', '<script>alert(1)</script>');
  await h.put(a, 'workspace/doc.pdf', '%PDF-1.4\n');
  const html = await h.req('GET', '/api/fs/workspace/page.html', { token: a.token });
  assert.match(html.headers.get('content-security-policy')!, /^sandbox;/);
  assert.equal(html.headers.get('x-content-type-options'), 'nosniff');
  const pdf = await h.req('GET', '/api/fs/workspace/doc.pdf', { token: a.token });
  assert.equal(pdf.headers.get('content-type'), 'application/pdf');
  assert.equal(pdf.headers.get('content-security-policy'), null);
  assert.equal(pdf.headers.get('x-content-type-options'), 'nosniff');
});

test("same-name uploads with ?rename=1: kept beside each other under the uploader's name; the default stays 409", async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const ana = await h.user('ana', 'user');
  const ben = await h.user('ben', 'user');
  const ada = await h.user('ada', 'advanced');
  assert.equal((await h.put(ana, 'workspace/Devoirs/compte_rendu.pdf', 'ana')).status, 201);
  assert.equal((await h.put(ben, 'workspace/Devoirs/compte_rendu.pdf', 'ben')).status, 409, 'the contract default');
  const b1 = await h.put(ben, 'workspace/Devoirs/compte_rendu.pdf', 'ben', '?rename=1');
  assert.equal(b1.status, 201);
  assert.equal((await b1.json()).name, 'compte_rendu (ben).pdf');
  assert.equal(decodeURIComponent(b1.headers.get('x-hcd-path')!), '/Devoirs/compte_rendu (ben).pdf');
  const b2 = await h.put(ben, 'workspace/Devoirs/compte_rendu.pdf', 'ben again', '?rename=1&overwrite=1');
  assert.equal((await b2.json()).name, 'compte_rendu (ben 2).pdf', 'a pupil may not replace: renamed, not 403');
  // Someone allowed to replace is asked (409), and replaces when asking for it.
  assert.equal((await h.put(ada, 'workspace/mine.txt', 'v1')).status, 201);
  assert.equal((await h.put(ada, 'workspace/mine.txt', 'v2', '?rename=1')).status, 409);
  const a2 = await h.put(ada, 'workspace/mine.txt', 'v2', '?rename=1&overwrite=1');
  assert.equal((await a2.json()).name, 'mine.txt');
  // A folder of that name is never replaced by a file: renamed.
  assert.equal((await h.req('POST', '/api/fs/workspace/notes', { token: ada.token, body: { op: 'mkdir' } })).status, 201);
  assert.equal((await (await h.put(ben, 'workspace/notes', 'x', '?rename=1')).json()).name, 'notes (ben)');
  const names = (await h.json(h.req('GET', '/api/fs/workspace/Devoirs/', { token: ana.token }))).entries.map((e: { name: string }) => e.name).sort();
  assert.deepEqual(names, ['compte_rendu (ben 2).pdf', 'compte_rendu (ben).pdf', 'compte_rendu.pdf']);
  assert.equal(fs.readFileSync(path.join(h.dataDir, 'workspace/Devoirs/compte_rendu.pdf'), 'utf8'), 'ana', "ana's file untouched");
  // A resumable upload asks the same with "rename" in its metadata, and learns the name when it finishes.
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const c = await h.req('POST', '/api/tus', {
    token: ana.token,
    headers: {
      'tus-resumable': '1.0.0',
      'upload-length': '3',
      'upload-metadata': `space ${b64('workspace')},path ${b64('Devoirs/compte_rendu.pdf')},rename ${b64('1')}`,
    },
  });
  assert.equal(c.status, 201);
  const p = await h.req('PATCH', c.headers.get('location')!, {
    token: ana.token,
    body: new TextEncoder().encode('ana'),
    headers: { 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
  });
  assert.equal(p.status, 204);
  assert.equal(decodeURIComponent(p.headers.get('x-hcd-path')!), '/Devoirs/compte_rendu (ana).pdf');
});

test('a folder of 2,500 entries is listed in pages, streamed, complete and in order; a short one in one piece', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const admin = await h.user('root', 'admin');
  const a = await h.user('ada', 'advanced');
  const big = path.join(h.dataDir, 'workspace', 'big');
  fs.mkdirSync(big, { recursive: true });
  for (let i = 0; i < 7; i++) fs.mkdirSync(path.join(big, `dir ${i}`));
  for (let i = 0; i < 2500; i++) fs.writeFileSync(path.join(big, `f${String(i).padStart(4, '0')}.txt`), 'x'.repeat(i % 10));
  // macOS's own files are left out, also where they fall on a page's edge.
  for (const n of ['._f0999.txt', '._f1000.txt', '.DS_Store']) fs.writeFileSync(path.join(big, n), 'mac');
  assert.equal((await h.req('POST', '/api/admin/reconcile', { token: admin.token })).status, 200);

  const res = await h.req('GET', '/api/fs/workspace/big/', { token: a.token });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  // Read a piece, change the folder, read the rest: the pages are made as they are read.
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const first = await reader.read();
  text += decoder.decode(first.value, { stream: true });
  assert.ok(!text.endsWith(']}'), 'the first piece is not the whole listing');
  await h.put(a, 'workspace/big/zz last.txt', 'late');
  let pieces = 1;
  for (let r = await reader.read(); !r.done; r = await reader.read()) ((text += decoder.decode(r.value, { stream: true })), pieces++);
  assert.ok(pieces >= 3, `streamed in ${pieces} pieces`);
  const listing = JSON.parse(text) as { path: string; space: string; entries: { name: string; type: string; size: number; canDelete: boolean }[] };
  assert.equal(listing.path, '/big');
  assert.equal(listing.space, 'workspace');
  const names = listing.entries.map((e) => e.name);
  const expected = [
    ...Array.from({ length: 7 }, (_, i) => `dir ${i}`),
    ...Array.from({ length: 2500 }, (_, i) => `f${String(i).padStart(4, '0')}.txt`),
    'zz last.txt',
  ];
  assert.deepEqual(names, expected, 'every entry once, folders first, then by name; the upload made after the first page is there');
  assert.equal(listing.entries[7 + 1234]!.size, 4);
  assert.equal(listing.entries[0]!.type, 'dir');

  // A read link to the folder pages its listing too, with the guest's view of every entry.
  const made = await h.req('POST', '/api/links', { token: a.token, body: { space: 'workspace', path: '/big', mode: 'read', expires: '1d' } });
  assert.equal(made.status, 201, await made.clone().text());
  const guest = await h.json(h.req('GET', `/api/s/${(await made.json()).secret}/fs/`));
  assert.deepEqual(
    guest.entries.map((e: { name: string }) => e.name),
    expected,
  );
  assert.ok(guest.entries.every((e: { owner: unknown; canDelete: boolean }) => e.owner === null && e.canDelete === false));

  // A short folder: one piece, as c.json always sent it.
  await h.put(a, 'workspace/small/one.txt', '1');
  const small = await h.req('GET', '/api/fs/workspace/small/', { token: a.token });
  const body = await small.text();
  assert.deepEqual(
    JSON.parse(body).entries.map((e: { name: string }) => e.name),
    ['one.txt'],
  );
});
