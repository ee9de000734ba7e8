// Aborted uploads over a real socket: the client goes away mid-body, and nothing partial is left
// visible, neither in the listing nor on disk, and the daemon keeps serving.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { api, dirEntries, diskFiles, dispose, listFiles, login, poll, pseudoRandom, request, sha256, startDaemon, type Daemon } from '../../helpers/server.js';

const MiB = 1024 * 1024;

let d: Daemon | undefined;
let token = '';
let tmpDir = '';
let workspace = '';

before(async () => {
  d = await startDaemon();
  token = await login(d.base, 'admin', d.adminPassword!);
  tmpDir = path.join(d.dir, 'data', '.hcd', 'tmp');
  workspace = path.join(d.dir, 'data', 'workspace');
});
after(() => dispose(d));

function write(sock: net.Socket, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => sock.write(data, (err) => (err ? reject(err) : resolve())));
}

/** Total bytes of the temp files under .hcd/tmp (the upload in progress). */
function tmpBytes(): number {
  return dirEntries(tmpDir).reduce((n, f) => n + (fs.statSync(path.join(tmpDir, f), { throwIfNoEntry: false })?.size ?? 0), 0);
}

/**
 * Opens a raw socket, sends a PUT's head and `send` bytes of its body (chunked when `contentLength`
 * is null), waits until the daemon has written some of them to its temp file, then destroys the socket.
 */
async function abortedPut(rawPath: string, opts: { contentLength: number | null; send: number }): Promise<void> {
  const sock = net.connect({ host: '127.0.0.1', port: d!.port });
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  sock.on('error', () => {}); // a reset from the daemon after we vanish is fine
  let answer = '';
  sock.on('data', (b) => (answer += b.toString()));
  const head = [
    `PUT ${rawPath} HTTP/1.1`,
    'Host: 127.0.0.1',
    `Authorization: Bearer ${token}`,
    'Content-Type: application/octet-stream',
    opts.contentLength === null ? 'Transfer-Encoding: chunked' : `Content-Length: ${opts.contentLength}`,
    '',
    '',
  ].join('\r\n');
  await write(sock, head);
  let sent = 0;
  for await (const chunk of pseudoRandom(rawPath, opts.send, 256 * 1024)) {
    if (opts.contentLength === null) await write(sock, Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    else await write(sock, chunk);
    sent += chunk.length;
  }
  if (opts.contentLength === null) {
    // Stop in the middle of a chunk, as a dropped Wi-Fi link would.
    await write(sock, Buffer.concat([Buffer.from(`${(64 * 1024).toString(16)}\r\n`), Buffer.alloc(1000, 1)]));
  }
  // The upload really is under way: part of the body sits in a temp file.
  await poll('the temp file to receive bytes', () => tmpBytes() >= Math.min(sent, 1 * MiB), 15_000);
  assert.equal(answer, '', 'no answer before the body is complete');
  sock.destroy();
}

async function assertNothingLeft(rel: string): Promise<void> {
  await poll('.hcd/tmp to be empty', () => dirEntries(tmpDir).length === 0, 10_000);
  const listed = await listFiles(d!.base, token);
  assert.ok(!listed.includes(rel), `"${rel}" is not listed: ${JSON.stringify(listed)}`);
  assert.ok(!diskFiles(workspace).includes(rel), `"${rel}" is not on disk: ${JSON.stringify(diskFiles(workspace))}`);
  const get = await request(d!.port, 'GET', `/api/fs/workspace/${rel}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(get.status, 404);
}

async function assertStillServing(rel: string): Promise<void> {
  const health = await api(d!.base, null, 'GET', '/api/health');
  assert.equal(health.status, 200);
  // The same name can be uploaded for real afterwards.
  const body = Buffer.from(`complete ${rel}\n`);
  const put = await request(d!.port, 'PUT', `/api/fs/workspace/${rel}`, {
    headers: { authorization: `Bearer ${token}`, 'content-length': String(body.length) },
    body,
  });
  assert.equal(put.status, 201, put.text());
  const get = await request(d!.port, 'GET', `/api/fs/workspace/${rel}`, { headers: { authorization: `Bearer ${token}` } });
  assert.deepEqual(get.body, body);
}

describe('aborted uploads leave nothing behind', { timeout: 120_000 }, () => {
  test('Content-Length 50 MiB, 5 MiB sent, socket destroyed', async () => {
    await abortedPut('/api/fs/workspace/aborted/fixed.bin', { contentLength: 50 * MiB, send: 5 * MiB });
    await assertNothingLeft('aborted/fixed.bin');
    await assertStillServing('aborted/fixed.bin');
  });

  test('chunked (no Content-Length), socket destroyed mid-chunk', async () => {
    await abortedPut('/api/fs/workspace/aborted/chunked.bin', { contentLength: null, send: 5 * MiB });
    await assertNothingLeft('aborted/chunked.bin');
    await assertStillServing('aborted/chunked.bin');
  });

  test('an aborted overwrite keeps the original file whole', async () => {
    const original = Buffer.from('the original, which must survive\n');
    const put = await request(d!.port, 'PUT', '/api/fs/workspace/keep.txt', {
      headers: { authorization: `Bearer ${token}`, 'content-length': String(original.length) },
      body: original,
    });
    assert.equal(put.status, 201);
    await abortedPut('/api/fs/workspace/keep.txt?overwrite=1', { contentLength: 20 * MiB, send: 2 * MiB });
    await poll('.hcd/tmp to be empty', () => dirEntries(tmpDir).length === 0, 10_000);
    assert.equal(sha256(fs.readFileSync(path.join(workspace, 'keep.txt'))), sha256(original));
    const get = await request(d!.port, 'GET', '/api/fs/workspace/keep.txt', { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(get.body, original);
    const list = await api(d!.base, token, 'GET', '/api/fs/workspace/');
    assert.equal(list.json.entries.find((e: { name: string }) => e.name === 'keep.txt').size, original.length);
    // Nothing went to the trash either: the overwrite never happened.
    const trash = await api(d!.base, token, 'GET', '/api/trash');
    assert.deepEqual(trash.json.items, []);
  });

  test('several aborted uploads at once, then database and disk still agree', async () => {
    await Promise.all([
      abortedPut('/api/fs/workspace/many/a.bin', { contentLength: 30 * MiB, send: 3 * MiB }),
      abortedPut('/api/fs/workspace/many/b.bin', { contentLength: null, send: 3 * MiB }),
      abortedPut('/api/fs/workspace/many/c.bin', { contentLength: 10 * MiB, send: 1 * MiB }),
    ]);
    await poll('.hcd/tmp to be empty', () => dirEntries(tmpDir).length === 0, 10_000);
    assert.deepEqual(await listFiles(d!.base, token), diskFiles(workspace));
    const rec = await api(d!.base, token, 'POST', '/api/admin/reconcile');
    assert.equal(rec.status, 200);
    assert.equal(rec.json.added, 0);
    assert.deepEqual(rec.json.missing, []);
    assert.ok(!/unhandled error|internal_error/.test(d!.output()), `no unhandled error in the log:\n${d!.output()}`);
  });
});
