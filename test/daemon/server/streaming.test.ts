// Downloads and uploads over a real socket: Range, conditional requests, HEAD, and a 1 GiB upload
// streamed end to end with the daemon's memory bounded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  dirEntries,
  dispose,
  downloadHash,
  errorCodeOf,
  hashing,
  login,
  peakRss,
  pseudoRandom,
  request,
  startDaemon,
  type Daemon,
} from '../../helpers/server.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** The daemon's peak resident memory may not exceed this during the 1 GiB upload and download. */
const RSS_BOUND = 200 * MiB;

let d: Daemon | undefined;
let auth: Record<string, string> = {};

before(async () => {
  d = await startDaemon();
  auth = { authorization: `Bearer ${await login(d.base, 'admin', d.adminPassword!)}` };
});
after(() => dispose(d));

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

describe('Range, ETag and HEAD over a real socket', () => {
  const SIZE = 1 * MiB + 12345;
  const url = '/api/fs/workspace/media/clip.bin';
  let content: Buffer = Buffer.alloc(0);

  before(async () => {
    content = await collect(pseudoRandom('range-file', SIZE, 64 * 1024));
    const put = await request(d!.port, 'PUT', url, { headers: { ...auth, 'content-length': String(SIZE) }, body: content });
    assert.equal(put.status, 201, put.text());
  });

  test('a full GET has the bytes and the validators', async () => {
    const r = await request(d!.port, 'GET', url, { headers: auth });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(SIZE));
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assert.match(String(r.headers.etag), /^"[^"]+"$/);
    assert.ok(!Number.isNaN(Date.parse(String(r.headers['last-modified']))));
    assert.ok(r.body.equals(content));
  });

  const ranges: [header: string, start: number, end: number][] = [
    ['bytes=0-99', 0, 99],
    ['bytes=1000-1999', 1000, 1999],
    ['bytes=500000-', 500000, SIZE - 1],
    ['bytes=-500', SIZE - 500, SIZE - 1],
    [`bytes=-${SIZE * 2}`, 0, SIZE - 1], // a suffix longer than the file is the whole file
    [`bytes=${SIZE - 1}-${SIZE + 1000}`, SIZE - 1, SIZE - 1], // an end past the file is clamped
  ];
  for (const [header, start, end] of ranges) {
    test(`Range: ${header} → 206 with Content-Range`, async () => {
      const r = await request(d!.port, 'GET', url, { headers: { ...auth, range: header } });
      assert.equal(r.status, 206);
      assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${SIZE}`);
      assert.equal(r.headers['content-length'], String(end - start + 1));
      assert.ok(r.body.equals(content.subarray(start, end + 1)), 'the bytes of the range');
    });
  }

  for (const header of [`bytes=${SIZE}-`, `bytes=${SIZE + 10}-${SIZE + 20}`, 'bytes=-0']) {
    test(`Range: ${header} → 416 with Content-Range: bytes */size`, async () => {
      const r = await request(d!.port, 'GET', url, { headers: { ...auth, range: header } });
      assert.equal(r.status, 416);
      assert.equal(r.headers['content-range'], `bytes */${SIZE}`);
      assert.equal(errorCodeOf(r), 'range_not_satisfiable');
    });
  }

  test('If-Range with a stale ETag sends the whole file; with the current one, the range', async () => {
    const etag = String((await request(d!.port, 'HEAD', url, { headers: auth })).headers.etag);
    const stale = await request(d!.port, 'GET', url, { headers: { ...auth, range: 'bytes=0-9', 'if-range': '"stale"' } });
    assert.equal(stale.status, 200);
    assert.equal(stale.body.length, SIZE);
    const fresh = await request(d!.port, 'GET', url, { headers: { ...auth, range: 'bytes=0-9', 'if-range': etag } });
    assert.equal(fresh.status, 206);
    assert.ok(fresh.body.equals(content.subarray(0, 10)));
  });

  test('ETag + If-None-Match → 304 without a body; another ETag → 200', async () => {
    const first = await request(d!.port, 'GET', url, { headers: auth });
    const etag = String(first.headers.etag);
    const again = await request(d!.port, 'GET', url, { headers: { ...auth, 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, etag);
    const list = await request(d!.port, 'GET', url, { headers: { ...auth, 'if-none-match': `"nope", ${etag}` } });
    assert.equal(list.status, 304);
    const other = await request(d!.port, 'GET', url, { headers: { ...auth, 'if-none-match': '"something-else"' } });
    assert.equal(other.status, 200);
    assert.equal(other.body.length, SIZE);
    const since = await request(d!.port, 'GET', url, { headers: { ...auth, 'if-modified-since': String(first.headers['last-modified']) } });
    assert.equal(since.status, 304);
  });

  test('an overwrite changes the ETag, so a cached copy is not reused', async () => {
    const etag = String((await request(d!.port, 'HEAD', url, { headers: auth })).headers.etag);
    const body = Buffer.from('new content');
    const put = await request(d!.port, 'PUT', `${url}?overwrite=1`, { headers: { ...auth, 'content-length': String(body.length) }, body });
    assert.equal(put.status, 201, put.text());
    const r = await request(d!.port, 'GET', url, { headers: { ...auth, 'if-none-match': etag } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, body);
    // Put the original back for the HEAD test.
    const back = await request(d!.port, 'PUT', `${url}?overwrite=1`, { headers: { ...auth, 'content-length': String(SIZE) }, body: content });
    assert.equal(back.status, 201);
  });

  test('HEAD has the headers of a GET and no body', async () => {
    const get = await request(d!.port, 'GET', url, { headers: auth });
    const head = await request(d!.port, 'HEAD', url, { headers: auth });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    for (const h of ['content-length', 'etag', 'last-modified', 'content-type', 'content-disposition', 'accept-ranges']) {
      assert.equal(head.headers[h], get.headers[h], h);
    }
    assert.equal(head.headers['content-length'], String(SIZE));
    const ranged = await request(d!.port, 'HEAD', url, { headers: { ...auth, range: 'bytes=10-19' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers['content-range'], `bytes 10-19/${SIZE}`);
    assert.equal(ranged.body.length, 0);
  });

  test('a ranged read of an empty file is 416, a plain read is 200 with no bytes', async () => {
    const put = await request(d!.port, 'PUT', '/api/fs/workspace/media/empty.txt', { headers: { ...auth, 'content-length': '0' }, body: Buffer.alloc(0) });
    assert.equal(put.status, 201, put.text());
    const get = await request(d!.port, 'GET', '/api/fs/workspace/media/empty.txt', { headers: auth });
    assert.equal(get.status, 200);
    assert.equal(get.body.length, 0);
    const r = await request(d!.port, 'GET', '/api/fs/workspace/media/empty.txt', { headers: { ...auth, range: 'bytes=0-' } });
    assert.equal(r.status, 416);
    assert.equal(r.headers['content-range'], 'bytes */0');
  });
});

describe('a 1 GiB upload is streamed: the bytes survive and the memory stays bounded', { timeout: 15 * 60_000 }, () => {
  const url = '/api/fs/workspace/big/one-gib.bin';

  test('PUT 1 GiB from a generator → 201; the download has the same SHA-256; peak RSS < 200 MiB', async (t) => {
    const pid = d!.proc.pid!;
    const rssAtStart = peakRss(pid);
    const src = hashing(pseudoRandom('one-gib', GiB));
    const put = await request(d!.port, 'PUT', url, {
      headers: { ...auth, 'content-length': String(GiB), 'content-type': 'application/octet-stream' },
      body: src.chunks,
    });
    assert.equal(put.status, 201, put.text());
    assert.equal(src.sent(), GiB);
    assert.equal(put.json().size, GiB);
    const rssAfterUpload = peakRss(pid);

    const onDisk = path.join(d!.dir, 'data', 'workspace', 'big', 'one-gib.bin');
    assert.equal(fs.statSync(onDisk).size, GiB);
    assert.deepEqual(dirEntries(path.join(d!.dir, 'data', '.hcd', 'tmp')), []);

    const down = await downloadHash(d!.port, url, auth);
    assert.equal(down.status, 200);
    assert.equal(down.size, GiB);
    assert.equal(down.sha256, src.digest(), 'the downloaded bytes are the uploaded bytes');
    const rssPeak = peakRss(pid);

    const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
    const report = `daemon peak RSS (VmHWM): at start ${mib(rssAtStart)}, after the 1 GiB upload ${mib(rssAfterUpload)}, after its download ${mib(rssPeak)}; test process RSS ${mib(process.memoryUsage().rss)}`;
    t.diagnostic(report);
    console.log(report);
    assert.ok(rssAfterUpload < RSS_BOUND, `peak RSS during the upload ${mib(rssAfterUpload)} ≥ ${mib(RSS_BOUND)}`);
    assert.ok(rssPeak < RSS_BOUND, `peak RSS during the download ${mib(rssPeak)} ≥ ${mib(RSS_BOUND)}`);

    // Give the disk space back at once rather than at cleanup.
    const del = await request(d!.port, 'DELETE', url, { headers: auth });
    assert.equal(del.status, 200);
    const trash = await request(d!.port, 'DELETE', '/api/trash', { headers: auth });
    assert.ok([200, 204].includes(trash.status), `purge trash → ${trash.status} ${trash.text()}`);
  });
});
