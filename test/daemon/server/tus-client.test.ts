// Resumable uploads with the real tus-js-client against the real daemon, through a proxy that
// cuts the connection mid-upload: the upload resumes where it stopped and ends with identical bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as tus from 'tus-js-client';
import { login, startDaemon } from '../../helpers/server.js';
import { cuttingProxy } from '../../helpers/proxy.js';

function upload(endpoint: string, token: string, data: Buffer, metadata: Record<string, string>, events: { retries: number }) {
  return new Promise<tus.Upload>((resolve, reject) => {
    const up = new tus.Upload(data, {
      endpoint,
      headers: { Authorization: `Bearer ${token}` },
      metadata,
      retryDelays: [0, 200, 500, 1000],
      onShouldRetry: () => {
        events.retries++;
        return true;
      },
      onError: reject,
      onSuccess: () => resolve(up),
    });
    up.start();
  });
}

test('tus-js-client: a connection cut mid-upload resumes and the bytes are identical', async (t) => {
  const d = await startDaemon();
  t.after(async () => {
    await d.stop();
    fs.rmSync(d.dir, { recursive: true, force: true });
  });
  const token = await login(d.base, 'admin', d.adminPassword!);
  const size = 24 * 1024 * 1024;
  const data = crypto.randomBytes(size);
  const proxy = await cuttingProxy(d.port, 10 * 1024 * 1024);
  t.after(proxy.close);
  const events = { retries: 0 };
  const up = await upload(`http://127.0.0.1:${proxy.port}/api/tus`, token, data, { space: 'workspace', path: '/Vidéos/classe 😀.bin' }, events);
  assert.ok(proxy.cut, 'the proxy cut the connection');
  assert.ok(events.retries >= 1, 'the client retried');
  // A restart from zero would have sent ≥ 34 MiB; a resume sends the rest only.
  assert.ok(proxy.upstreamBytes < size + 11 * 1024 * 1024, `sent ${proxy.upstreamBytes} bytes: resumed, not restarted`);
  assert.match(up.url!, /\/api\/tus\/[\w-]+$/);
  const res = await fetch(`${d.base}/api/fs/workspace/${encodeURIComponent('Vidéos')}/${encodeURIComponent('classe 😀.bin')}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 200);
  const got = Buffer.from(await res.arrayBuffer());
  assert.equal(got.length, size);
  assert.ok(got.equals(data), 'identical bytes');
  assert.deepEqual(fs.readdirSync(path.join(d.dir, 'data/.hcd/tus')), []);
  t.diagnostic(`retries ${events.retries}, bytes through the proxy ${proxy.upstreamBytes} for ${size}`);
});

test('tus-js-client: an upload survives a daemon restart in the middle', async (t) => {
  const d = await startDaemon();
  const dir = d.dir;
  let d2: Awaited<ReturnType<typeof startDaemon>> | undefined;
  t.after(async () => {
    await d.stop();
    await d2?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const token = await login(d.base, 'admin', d.adminPassword!);
  const data = crypto.randomBytes(6 * 1024 * 1024);
  // First attempt: send part of it by hand, then the daemon goes away.
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const c = await fetch(`${d.base}/api/tus`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'tus-resumable': '1.0.0',
      'upload-length': String(data.length),
      'upload-metadata': `space ${b64('workspace')},path ${b64('restart.bin')}`,
    },
  });
  assert.equal(c.status, 201);
  const loc = c.headers.get('location')!;
  const p = await fetch(`${d.base}${loc}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
    body: data.subarray(0, 2 * 1024 * 1024),
  });
  assert.equal(p.status, 204);
  await d.stop('SIGKILL');
  d2 = await startDaemon({ dir });
  // The real client resumes from the URL it was given.
  await new Promise<void>((resolve, reject) => {
    const up = new tus.Upload(data, {
      endpoint: `${d2!.base}/api/tus`,
      uploadUrl: `${d2!.base}${loc}`,
      headers: { Authorization: `Bearer ${token}` },
      retryDelays: [0, 200],
      onError: reject,
      onSuccess: () => resolve(),
    });
    up.start();
  });
  const got = Buffer.from(await (await fetch(`${d2.base}/api/fs/workspace/restart.bin`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer());
  assert.ok(got.equals(data));
});
