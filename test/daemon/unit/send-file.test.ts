// sendFile over a real loopback socket: the bytes are the file's, ranges are exact, chunks grow for a
// fast client and shrink for one that stops reading, a client that leaves stops the reads and the file
// is closed, and a file that shrank cuts the response instead of sending wrong bytes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MAX_CHUNK, MIN_CHUNK, pooledBytes, sendFile, type SendStats } from '../../../daemon/src/storage/send-file.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-send-'));
const file = path.join(dir, 'big.bin');
const body = crypto.randomBytes(24 * 1024 * 1024);
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

interface Served {
  stats: SendStats;
  fd: number;
  done: Promise<void>;
}
let last: Served | null = null;
let server: http.Server;
let port = 0;

before(async () => {
  fs.writeFileSync(file, body);
  server = http.createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    const start = Number(u.searchParams.get('start') ?? 0);
    const end = Number(u.searchParams.get('end') ?? body.length - 1);
    const fd = fs.openSync(file, 'r');
    res.writeHead(200, { 'content-length': String(end - start + 1) });
    const stats: SendStats = { chunks: [] };
    last = { stats, fd, done: sendFile(fd, start, end, res, stats) };
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});
after(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const fdClosed = (fd: number) => {
  try {
    fs.fstatSync(fd);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EBADF';
  }
};

test('a fast client gets the exact bytes, in chunks that grow to the largest size; the file is closed after', async () => {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  const got = Buffer.from(await res.arrayBuffer());
  assert.equal(got.length, body.length);
  assert.equal(sha(got), sha(body));
  await last!.done;
  const chunks = last!.stats.chunks!;
  assert.equal(chunks[0], MIN_CHUNK);
  assert.ok(chunks.includes(MAX_CHUNK), `chunks never grew: ${chunks.slice(0, 20).join(',')}`);
  assert.ok(fdClosed(last!.fd));
  // Its buffers went back to the shared pool for the next download, not to the garbage collector.
  assert.ok(pooledBytes() >= 2 * MAX_CHUNK, `pooled: ${pooledBytes()}`);
});

test('the next request on a kept-alive connection starts at the size the last one ended with', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (q: string) =>
    new Promise<Buffer>((resolve, reject) =>
      http
        .get(`http://127.0.0.1:${port}/${q}`, { agent }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () => resolve(Buffer.concat(parts)));
        })
        .on('error', reject),
    );
  try {
    await get('');
    await last!.done;
    const got = await get(`?start=0&end=${4 * MAX_CHUNK - 1}`);
    await last!.done;
    assert.equal(sha(got), sha(body.subarray(0, 4 * MAX_CHUNK)));
    // A fast client on loopback: the first download grew past 64 KiB, and the second starts there.
    assert.ok(last!.stats.chunks![0]! > MIN_CHUNK, last!.stats.chunks!.join(','));
  } finally {
    agent.destroy();
  }
});

test('a range is exact', async () => {
  const start = 1_000_003;
  const end = 5_432_109;
  const res = await fetch(`http://127.0.0.1:${port}/?start=${start}&end=${end}`);
  const got = Buffer.from(await res.arrayBuffer());
  assert.equal(sha(got), sha(body.subarray(start, end + 1)));
});

test('a slow client (1 MB/s, a phone far from the radio) gets chunks that shrink to the smallest size', async () => {
  const sock = net.connect(port, '127.0.0.1');
  sock.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  // Reads at most 100 KB a tenth of a second: TCP holds the server back once the buffers are full.
  let window = 0;
  sock.on('data', (d: Buffer) => {
    window += d.length;
    if (window >= 100_000) sock.pause();
  });
  const tick = setInterval(() => {
    window = 0;
    sock.resume();
  }, 100);
  const deadline = Date.now() + 8000;
  const shrunk = () => {
    const c = last!.stats.chunks!;
    const top = c.indexOf(MAX_CHUNK);
    return top >= 0 && c.slice(top).filter((x) => x === MIN_CHUNK).length >= 6;
  };
  while (!shrunk() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  clearInterval(tick);
  sock.destroy();
  await last!.done;
  assert.ok(shrunk(), `grew to ${MAX_CHUNK} and never came back to ${MIN_CHUNK}: ${last!.stats.chunks!.join(',')}`);
  // Held at the smallest size while the client stays slow: the last chunks sent are small.
  const c = last!.stats.chunks!;
  const top = c.lastIndexOf(MAX_CHUNK);
  // After the buffers filled: small chunks, at most one step up now and then (a burst of reads).
  const tail = c.slice(top + 1);
  assert.ok(tail.filter((x) => x === MIN_CHUNK).length >= tail.length / 2, c.join(','));
  assert.ok(Math.max(...tail) <= 2 * MIN_CHUNK, c.join(','));
  assert.ok(fdClosed(last!.fd));
});

test('a client that leaves mid-way stops the reads and the file is closed', async () => {
  const sock = net.connect(port, '127.0.0.1');
  sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => sock.once('data', r));
  sock.pause();
  await new Promise((r) => setTimeout(r, 300));
  sock.destroy();
  await last!.done;
  const sent = last!.stats.chunks!.reduce((a, b) => a + b, 0);
  assert.ok(sent < body.length, `sent everything (${sent}) to a client that left`);
  assert.ok(fdClosed(last!.fd));
});

test('a file shorter than announced cuts the response (never other bytes)', async () => {
  // The handler is told to send past the end: as if the file shrank after its size was read.
  await assert.rejects(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/?start=${body.length - 1000}&end=${body.length + 5000}`);
    await res.arrayBuffer();
  });
  await last!.done;
  assert.ok(fdClosed(last!.fd));
});
