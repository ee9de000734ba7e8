// Thumbnails for the photo grid, made where they cost the Pi least:
// 1. by the uploader's browser, right after the upload (it has the photo decoded anyway; a phone
//    decodes a 12 MP JPEG in a fraction of a second, the Pi would need about a second of a core per
//    photo), sent with PUT ?thumb=1 and checked here to be a small JPEG, never trusted as anything else;
// 2. else the thumbnail the camera embedded in the photo's EXIF block (read from its first 128 KiB,
//    no decode), with the photo's orientation written into it;
// 3. else none: the grid shows the file's icon. The original's bytes are never sent as a thumbnail.
// They are a cache on the SSD (.hcd/thumbs), named by the photo's SHA-256 when the drive knows it
// (a move or a copy keeps its thumbnail), else by where it is and its size and date.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { FileRow } from '../db/queries/files.js';
import { badRequest, forbidden, notFound, HttpError } from '../errors.js';
import { canSetThumbnail, spaceKey, type Space } from '../policy/policy.js';
import { EXIF_SCAN_BYTES, exifThumbnail, isJpeg, jpegSize } from '../storage/jpeg.js';
import type { Drive } from './drive.js';
import { displayPath, type Ctx } from './tree.js';

/** A thumbnail sent by a browser: a JPEG of at most this many bytes… */
export const THUMB_MAX_BYTES = 96 * 1024;
/** …and at most this many pixels on its longer side (the web UI makes 480). */
export const THUMB_MAX_SIDE = 640;
/** Extensions whose files may have a thumbnail. */
const IMAGE_NAME = /\.(jpe?g|png|gif|webp|avif|bmp|heic|heif)$/i;
const JPEG_NAME = /\.jpe?g$/i;

export interface Thumbnail {
  bytes: Buffer;
  etag: string;
}

export class Thumbs {
  constructor(private readonly drive: Drive) {}

  private get dir(): string {
    return this.drive.store.thumbsDir;
  }

  /** The cache key of a file's thumbnail. */
  static keyOf(space: string, row: Pick<FileRow, 'path' | 'size' | 'mtime' | 'sha256'>): string {
    if (row.sha256 && /^[0-9a-f]{64}$/.test(row.sha256)) return `s${row.sha256}`;
    const h = crypto.createHash('sha256').update(`${space}\0${row.path}\0${row.size}\0${row.mtime}`).digest('hex');
    return `p${h}`;
  }

  private fileOf(key: string, ext: 'jpg' | 'none'): string {
    return path.join(this.dir, key.slice(1, 3), `${key}.${ext}`);
  }

  /** The indexed file at `names`, readable by the caller. */
  private async located(ctx: Ctx, space: Space, names: string[]) {
    const found = await this.drive.stat(ctx, space, names);
    if (found.kind !== 'file') throw badRequest('bad_request', 'Folders have no thumbnail.');
    const row = this.drive.files.get(spaceKey(space), names.join('/'));
    if (!row || row.missing_since !== null) throw notFound(`Nothing at ${displayPath(names)}.`);
    return { abs: found.abs, row, key: Thumbs.keyOf(spaceKey(space), row) };
  }

  /** The thumbnail of an image, from the cache or its EXIF block; 404 no_thumbnail when it has none. */
  async get(ctx: Ctx, space: Space, names: string[]): Promise<Thumbnail> {
    const name = names[names.length - 1] ?? '';
    if (!IMAGE_NAME.test(name)) throw notFound('Only images have thumbnails.', 'no_thumbnail');
    const { abs, key } = await this.located(ctx, space, names);
    const cached = this.fileOf(key, 'jpg');
    try {
      const bytes = await fsp.readFile(cached);
      return { bytes, etag: `"${key.slice(0, 17)}-${bytes.length.toString(36)}"` };
    } catch {
      /* not made yet */
    }
    if (JPEG_NAME.test(name) && !fs.existsSync(this.fileOf(key, 'none'))) {
      const thumb = exifThumbnail(await readStart(abs, EXIF_SCAN_BYTES));
      // Remembered either way, so that a grid shown again reads nothing but the cache (best effort:
      // a cache that cannot be written costs a read next time, nothing else).
      await this.save(key, thumb ?? Buffer.alloc(0), thumb ? 'jpg' : 'none').catch(() => {});
      if (thumb) return { bytes: thumb, etag: `"${key.slice(0, 17)}-${thumb.length.toString(36)}"` };
    }
    throw notFound('This image has no thumbnail yet.', 'no_thumbnail');
  }

  /** Stores the thumbnail a browser made of a file it may dress (policy.canSetThumbnail). */
  async put(ctx: Ctx, space: Space, names: string[], bytes: Buffer): Promise<void> {
    const name = names[names.length - 1] ?? '';
    if (!IMAGE_NAME.test(name)) throw badRequest('bad_request', 'Only images have thumbnails.');
    const { row, key } = await this.located(ctx, space, names);
    if (!canSetThumbnail(ctx.actor, space, row.owner)) throw forbidden('Only the person who uploaded a photo may give it its thumbnail.');
    if (bytes.length > THUMB_MAX_BYTES) throw new HttpError('payload_too_large', `A thumbnail is at most ${THUMB_MAX_BYTES} bytes.`);
    const size = isJpeg(bytes) ? jpegSize(bytes) : null;
    if (!size) throw badRequest('bad_request', 'A thumbnail is a JPEG image.');
    if (size.width < 1 || size.height < 1 || Math.max(size.width, size.height) > THUMB_MAX_SIDE) {
      throw badRequest('bad_request', `A thumbnail is at most ${THUMB_MAX_SIDE} pixels on its longer side.`);
    }
    await this.drive.store.ensureAvailable();
    await this.save(key, bytes, 'jpg');
  }

  /** Writes one cache file (a temporary name, then rename: a reader never sees half of one). */
  private async save(key: string, bytes: Buffer, ext: 'jpg' | 'none'): Promise<void> {
    if (!this.drive.store.available()) return;
    const dest = this.fileOf(key, ext);
    await fsp.mkdir(path.dirname(dest), { recursive: true, mode: 0o750 });
    const tmp = `${dest}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.part`;
    await fsp.writeFile(tmp, bytes, { mode: 0o640 });
    await fsp.rename(tmp, dest);
    if (ext === 'jpg') await fsp.rm(this.fileOf(key, 'none'), { force: true });
  }

  /** Removes the thumbnails no indexed file has any more (run by the nightly thumbnails job). */
  async prune(): Promise<{ kept: number; removed: number }> {
    const live = new Set<string>();
    for (const row of this.drive.files.allFiles()) live.add(Thumbs.keyOf(row.space, row));
    let kept = 0;
    let removed = 0;
    let shards: string[];
    try {
      shards = await fsp.readdir(this.dir);
    } catch {
      return { kept, removed };
    }
    for (const shard of shards) {
      const dir = path.join(this.dir, shard);
      let names: string[];
      try {
        names = await fsp.readdir(dir);
      } catch {
        continue;
      }
      for (const n of names) {
        const key = n.replace(/\.(jpg|none|[^/]*\.part)$/, '');
        // A temporary file is someone's write in progress, unless it is an hour old (a crash's).
        const keep = n.endsWith('.part') ? ((await fsp.stat(path.join(dir, n)).catch(() => null))?.mtimeMs ?? 0) > Date.now() - 3600_000 : live.has(key);
        if (keep) kept++;
        else {
          await fsp.rm(path.join(dir, n), { force: true });
          removed++;
        }
      }
    }
    return { kept, removed };
  }
}

/** The first `n` bytes of a file (fewer if it is shorter), opened without following a symlink. */
async function readStart(abs: string, n: number): Promise<Buffer> {
  const fh = await fsp.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
