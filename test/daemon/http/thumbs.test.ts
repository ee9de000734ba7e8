// Thumbnails for the photo grid: the camera's EXIF thumbnail read without decoding, the uploader's
// own thumbnail (checked to be a small JPEG, only from who may dress that photo), the cache and its
// clean-up; the zip with a folder per uploader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { errorCode, makeApp } from '../../helpers/app.js';
import { exifOrientation, exifThumbnail, jpegSize, withOrientation } from '../../../daemon/src/storage/jpeg.js';

/** A JPEG's structure (SOI, SOF0 with its size, SOS, some bytes, EOI): what the daemon reads, not a picture. */
function fakeJpeg(width: number, height: number, dataBytes = 200): Buffer {
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, 0, 0, 0, 0, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  const sos = Buffer.from([0xff, 0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00]);
  const data = crypto.randomBytes(dataBytes).map((b) => (b === 0xff ? 0x00 : b));
  return Buffer.concat([Buffer.from([0xff, 0xd8]), sof, sos, data, Buffer.from([0xff, 0xd9])]);
}

/** A "photo" whose EXIF block (little-endian TIFF) holds an orientation and an embedded thumbnail. */
function photoWithExif(thumb: Buffer, orientation: number, photoBytes = 300_000): Buffer {
  const tiff = Buffer.alloc(56);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(1, 8); // IFD0: one entry
  tiff.writeUInt16LE(0x0112, 10);
  tiff.writeUInt16LE(3, 12);
  tiff.writeUInt32LE(1, 14);
  tiff.writeUInt16LE(orientation, 18);
  tiff.writeUInt32LE(26, 22); // next: IFD1
  tiff.writeUInt16LE(2, 26); // IFD1: two entries
  tiff.writeUInt16LE(0x0201, 28);
  tiff.writeUInt16LE(4, 30);
  tiff.writeUInt32LE(1, 32);
  tiff.writeUInt32LE(56, 36); // the thumbnail right after the IFDs
  tiff.writeUInt16LE(0x0202, 40);
  tiff.writeUInt16LE(4, 42);
  tiff.writeUInt32LE(1, 44);
  tiff.writeUInt32LE(thumb.length, 48);
  tiff.writeUInt32LE(0, 52);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff, thumb]);
  const app1 = Buffer.from([0xff, 0xe1, 0, 0]);
  app1.writeUInt16BE(payload.length + 2, 2);
  const main = fakeJpeg(4000, 3000, photoBytes);
  return Buffer.concat([main.subarray(0, 2), app1, payload, main.subarray(2)]);
}

test('jpeg: the EXIF thumbnail and orientation are found without decoding; sizes read from SOF', () => {
  const thumb = fakeJpeg(160, 120, 3000);
  const photo = photoWithExif(thumb, 6);
  assert.deepEqual(jpegSize(photo), { width: 4000, height: 3000 });
  assert.equal(exifOrientation(photo), 6);
  const found = exifThumbnail(photo)!;
  assert.ok(found, 'thumbnail found');
  assert.deepEqual(jpegSize(found), { width: 160, height: 120 });
  assert.equal(exifOrientation(found), 6, 'the photo orientation is written into the thumbnail');
  assert.deepEqual(found, withOrientation(thumb, 6));
  assert.deepEqual(exifThumbnail(photoWithExif(thumb, 1)), thumb, 'upright: the embedded bytes as they are');
  assert.equal(exifThumbnail(fakeJpeg(100, 100)), null, 'no EXIF, no thumbnail');
  assert.equal(exifThumbnail(Buffer.from('not a jpeg at all')), null);
  // Truncated or lying EXIF blocks are refused, never read past their end.
  const lying = photoWithExif(thumb, 1);
  lying.writeUInt32LE(0xffff, 2 + 4 + 6 + 48);
  assert.equal(exifThumbnail(lying), null);
  assert.equal(exifThumbnail(photo.subarray(0, 100)), null);
});

test('GET ?thumb=1: the camera thumbnail (cached), 404 no_thumbnail without one, never the original', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const pupil = await h.user('lea', 'user');
  const thumb = fakeJpeg(160, 120, 4000);
  const photo = photoWithExif(thumb, 1);
  assert.equal((await h.put(pupil, 'workspace/Sortie/IMG_0001.jpg', photo)).status, 201);
  const r = await h.req('GET', '/api/fs/workspace/Sortie/IMG_0001.jpg?thumb=1', { token: pupil.token });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'image/jpeg');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  const bytes = Buffer.from(await r.arrayBuffer());
  assert.deepEqual(bytes, thumb);
  assert.ok(bytes.length * 20 < photo.length, `${bytes.length} bytes for a ${photo.length}-byte photo`);
  const etag = r.headers.get('etag')!;
  assert.equal((await h.req('GET', '/api/fs/workspace/Sortie/IMG_0001.jpg?thumb=1', { token: pupil.token, headers: { 'if-none-match': etag } })).status, 304);
  // Cached on the SSD, named by the photo's SHA-256.
  const sha = crypto.createHash('sha256').update(photo).digest('hex');
  assert.ok(fs.existsSync(path.join(h.dataDir, '.hcd', 'thumbs', sha.slice(0, 2), `s${sha}.jpg`)));

  assert.equal((await h.put(pupil, 'workspace/Sortie/plain.jpg', fakeJpeg(4000, 3000, 100_000))).status, 201);
  const none = await h.req('GET', '/api/fs/workspace/Sortie/plain.jpg?thumb=1', { token: pupil.token });
  assert.equal(none.status, 404);
  assert.equal(await errorCode(none), 'no_thumbnail');
  await h.put(pupil, 'workspace/Sortie/notes.txt', 'hello');
  assert.equal(await errorCode(await h.req('GET', '/api/fs/workspace/Sortie/notes.txt?thumb=1', { token: pupil.token })), 'no_thumbnail');
  assert.equal((await h.req('GET', '/api/fs/workspace/Sortie/missing.jpg?thumb=1', { token: pupil.token })).status, 404);
  assert.equal((await h.req('GET', '/api/fs/workspace/Sortie/IMG_0001.jpg?thumb=1')).status, 401);
  // Another user's container stays closed, thumbnails included.
  const ada = await h.user('ada', 'advanced');
  await h.put(ada, 'home/secret.jpg', photo);
  assert.equal((await h.req('GET', '/api/fs/users/ada/secret.jpg?thumb=1', { token: pupil.token })).status, 403);
});

test("PUT ?thumb=1: the uploader's browser gives its photo a thumbnail; checked, and nobody else may", async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const lea = await h.user('lea', 'user');
  const tom = await h.user('tom', 'user');
  const admin = await h.user('root', 'admin');
  await h.put(lea, 'workspace/photo.png', crypto.randomBytes(200_000));
  const url = '/api/fs/workspace/photo.png?thumb=1';
  assert.equal(await errorCode(await h.req('GET', url, { token: tom.token })), 'no_thumbnail');
  const mine = fakeJpeg(480, 360, 20_000);
  const refused = await h.req('PUT', url, { token: tom.token, body: mine });
  assert.equal(refused.status, 403, "a classmate may not dress lea's photo");
  assert.equal((await h.req('PUT', url, { token: lea.token, body: mine })).status, 204);
  const got = await h.req('GET', url, { token: tom.token });
  assert.equal(got.status, 200);
  assert.deepEqual(Buffer.from(await got.arrayBuffer()), mine);
  // Checked to be a small JPEG: anything else is refused and the thumbnail kept.
  const html = Buffer.from('<html><script>alert(1)</script></html>');
  assert.equal(await errorCode(await h.req('PUT', url, { token: lea.token, body: html })), 'bad_request');
  assert.equal(await errorCode(await h.req('PUT', url, { token: lea.token, body: fakeJpeg(4000, 3000, 1000) })), 'bad_request');
  const huge = await h.req('PUT', url, { token: lea.token, body: fakeJpeg(480, 360, 200_000) });
  assert.equal(huge.status, 413);
  assert.equal(await errorCode(huge), 'payload_too_large');
  assert.deepEqual(Buffer.from(await (await h.req('GET', url, { token: lea.token })).arrayBuffer()), mine);
  // Admins may (they may modify everything); folders and non-images have none.
  assert.equal((await h.req('PUT', url, { token: admin.token, body: fakeJpeg(300, 200) })).status, 204);
  await h.req('POST', '/api/fs/workspace/dir', { token: lea.token, body: { op: 'mkdir' } });
  assert.equal((await h.req('PUT', '/api/fs/workspace/dir?thumb=1', { token: lea.token, body: mine })).status, 400);
  await h.put(lea, 'workspace/a.txt', 'x');
  assert.equal((await h.req('PUT', '/api/fs/workspace/a.txt?thumb=1', { token: lea.token, body: mine })).status, 400);
  assert.equal((await h.req('PUT', '/api/fs/workspace/nothing.png?thumb=1', { token: lea.token, body: mine })).status, 404);
  // A thumbnail PUT never creates or replaces the file itself.
  assert.equal(fs.statSync(path.join(h.dataDir, 'workspace', 'photo.png')).size, 200_000);
});

test('thumbnails follow a moved photo (keyed by content) and the nightly job removes orphans', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const ada = await h.user('ada', 'advanced');
  await h.put(ada, 'workspace/a.webp', crypto.randomBytes(50_000));
  await h.put(ada, 'workspace/b.webp', crypto.randomBytes(50_000));
  const ta = fakeJpeg(200, 100, 1000);
  const tb = fakeJpeg(100, 200, 1000);
  assert.equal((await h.req('PUT', '/api/fs/workspace/a.webp?thumb=1', { token: ada.token, body: ta })).status, 204);
  assert.equal((await h.req('PUT', '/api/fs/workspace/b.webp?thumb=1', { token: ada.token, body: tb })).status, 204);
  assert.equal((await h.req('POST', '/api/fs/workspace/a.webp', { token: ada.token, body: { op: 'move', to: '/Album/a.webp' } })).status, 200);
  const moved = await h.req('GET', '/api/fs/workspace/Album/a.webp?thumb=1', { token: ada.token });
  assert.equal(moved.status, 200);
  assert.deepEqual(Buffer.from(await moved.arrayBuffer()), ta);
  assert.equal((await h.req('DELETE', '/api/fs/workspace/b.webp', { token: ada.token })).status, 200);
  // Still in the trash: its row is gone from the index, so its thumbnail goes (restoring keeps the file, not its picture).
  const r = await h.deps.thumbs.prune();
  assert.deepEqual(r, { kept: 1, removed: 1 });
  assert.equal((await h.req('GET', '/api/fs/workspace/Album/a.webp?thumb=1', { token: ada.token })).status, 200);
});

test('zip: each file names its uploader; ?by=owner puts a folder per uploader', async (t) => {
  const h = await makeApp();
  t.after(h.close);
  const lea = await h.user('lea', 'user');
  const tom = await h.user('tom', 'user');
  await h.put(lea, 'workspace/TP/compte_rendu.pdf', 'lea');
  await h.put(tom, 'workspace/TP/compte_rendu.pdf', 'tom', '?rename=1');
  await h.put(tom, 'workspace/TP/images/schema.png', 'png');
  const read = async (query: string) => {
    const r = await h.req('GET', `/api/fs/workspace/TP?format=zip${query}`, { token: lea.token });
    assert.equal(r.status, 200);
    const file = path.join(h.dir, `z${crypto.randomBytes(4).toString('hex')}.zip`);
    fs.writeFileSync(file, Buffer.from(await r.arrayBuffer()));
    const out = execFileSync('python3', [
      '-c',
      `
import zipfile, sys, json
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps({i.filename: [z.read(i).decode(), i.comment.decode()] for i in z.infolist() if not i.is_dir()}))
`,
      file,
    ]).toString();
    return JSON.parse(out) as Record<string, [string, string]>;
  };
  assert.deepEqual(await read(''), {
    'compte_rendu.pdf': ['lea', 'lea'],
    'compte_rendu (tom).pdf': ['tom', 'tom'],
    'images/schema.png': ['png', 'tom'],
  });
  assert.deepEqual(await read('&by=owner'), {
    'lea/compte_rendu.pdf': ['lea', 'lea'],
    'tom/compte_rendu (tom).pdf': ['tom', 'tom'],
    'tom/images/schema.png': ['png', 'tom'],
  });
});
