// The web UI's own files: served from memory with a strong validator, so a returning phone downloads
// nothing that did not change (304), and hashed assets are cached for good.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dispose, request, startDaemon, type Daemon } from '../../helpers/server.js';

let d: Daemon;
before(async () => {
  d = await startDaemon();
});
after(() => dispose(d));

test('every static file has an ETag, and a matching If-None-Match gets an empty 304', async () => {
  const page = await request(d.port, 'GET', '/');
  assert.equal(page.status, 200);
  const etag = page.headers.etag!;
  assert.match(String(etag), /^"[\w-]{22}"$/);
  const again = await request(d.port, 'GET', '/files/workspace/', { headers: { 'if-none-match': String(etag) } });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.text())![1]!;
  for (const encoding of ['gzip', 'identity']) {
    const a = await request(d.port, 'GET', script, { headers: { 'accept-encoding': encoding } });
    assert.equal(a.status, 200);
    assert.match(String(a.headers['cache-control']), /immutable/);
    const b = await request(d.port, 'GET', script, { headers: { 'accept-encoding': encoding, 'if-none-match': String(a.headers.etag) } });
    assert.equal(b.status, 304, encoding);
  }
  // The gzip and plain bodies are different representations: different validators.
  const gz = await request(d.port, 'GET', script, { headers: { 'accept-encoding': 'gzip' } });
  const plain = await request(d.port, 'GET', script, { headers: { 'accept-encoding': 'identity' } });
  assert.notEqual(gz.headers.etag, plain.headers.etag);
});
