// A folder as a streamed zip (yazl): one file open at a time, each opened without following symlinks
// and checked to be a regular file; a file that vanished before its turn is left out, and any error
// after its header went out ends the stream with that error (the client sees a failed download),
// never the daemon.
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import yazl from 'yazl';
import type { Logger } from '../log.js';

export interface ZipEntry {
  /** Path inside the zip ('/'-separated; folders end with '/'). */
  name: string;
  abs: string;
  type: 'file' | 'dir';
  mtime: number;
  /** The entry's comment in the zip (the uploader's name), shown by zipinfo and most archive tools. */
  comment?: string;
}

const openNoFollow = (abs: string) =>
  new Promise<number>((resolve, reject) => fs.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW, (e, fd) => (e ? reject(e) : resolve(fd))));

export function zipStream(entries: readonly ZipEntry[], log: Logger): Readable {
  const zip = new yazl.ZipFile();
  const out = zip.outputStream as Readable;
  let current: fs.ReadStream | undefined;
  let failed = false;
  zip.on('error', (err: Error) => {
    failed = true;
    log.warn('zip download stopped', { err: err.message });
    current?.destroy();
    out.destroy(err);
  });
  // The client went away: stop reading the file in hand, and the loop below stops too.
  out.on('close', () => current?.destroy());

  void (async () => {
    for (const e of entries) {
      if (failed || out.destroyed) return;
      const mtime = new Date(e.mtime);
      if (e.type === 'dir') {
        zip.addEmptyDirectory(e.name, { mtime });
        continue;
      }
      let fd: number;
      try {
        fd = await openNoFollow(e.abs);
      } catch (err) {
        // Deleted or moved since the listing (ENOENT), or a symlink put on the disk (ELOOP): left out.
        log.info('zip: file left out', { name: e.name, code: (err as NodeJS.ErrnoException).code });
        continue;
      }
      const st = fs.fstatSync(fd);
      if (!st.isFile()) {
        fs.closeSync(fd);
        log.info('zip: not a regular file, left out', { name: e.name });
        continue;
      }
      if (st.size === 0) {
        fs.closeSync(fd);
        // Stored, not deflated: photos and videos are already compressed and the Pi's CPU is precious.
        zip.addBuffer(Buffer.alloc(0), e.name, { mtime, compress: false, ...(e.comment ? { fileComment: e.comment } : {}) });
        continue;
      }
      // The open descriptor keeps these bytes even if the name is deleted or replaced meanwhile (both
      // are renames here); only a file truncated in place by something else can still end the zip.
      const stream = fs.createReadStream('', { fd, start: 0, end: st.size - 1, highWaterMark: 256 * 1024 });
      current = stream;
      const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
      zip.addReadStream(stream, e.name, { mtime, size: st.size, compress: false, ...(e.comment ? { fileComment: e.comment } : {}) });
      await closed;
      current = undefined;
    }
    if (!failed && !out.destroyed) zip.end();
  })().catch((err: Error) => {
    log.error('zip download failed', { err: err.message });
    out.destroy(err);
  });
  return out;
}
