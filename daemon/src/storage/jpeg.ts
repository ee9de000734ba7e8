// The little of JPEG the thumbnails need, read from bytes without decoding a pixel: the thumbnail a
// camera or phone embeds in its EXIF block (IFD1), the EXIF orientation, and a JPEG's dimensions.
// A thumbnail made this way costs the Pi a 128 KiB read and a few loops, never a decode.

/** How much of a photo's start is read to find its EXIF block (APP1 holds at most 64 KiB). */
export const EXIF_SCAN_BYTES = 128 * 1024;

const SOI = 0xd8;
const SOS = 0xda;
const EOI = 0xd9;

export function isJpeg(buf: Buffer): boolean {
  return buf.length >= 4 && buf[0] === 0xff && buf[1] === SOI && buf[2] === 0xff;
}

interface Segment {
  marker: number;
  /** Offset of the segment's payload (after the two length bytes). */
  start: number;
  /** Payload length. */
  length: number;
}

/** The segments before the image data (SOS), as far as `buf` goes. */
function* segments(buf: Buffer): Generator<Segment> {
  if (!isJpeg(buf)) return;
  let i = 2;
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff) return;
    const marker = buf[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === SOI || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a payload
      continue;
    }
    if (marker === EOI) return;
    const len = buf.readUInt16BE(i + 2);
    if (len < 2) return;
    yield { marker, start: i + 4, length: len - 2 };
    if (marker === SOS) return;
    i += 2 + len;
  }
}

/** Width and height from the frame header (SOF0–SOF15 but DHT, JPG and DAC), or null. */
export function jpegSize(buf: Buffer): { width: number; height: number } | null {
  for (const s of segments(buf)) {
    const m = s.marker;
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (s.start + 5 > buf.length) return null;
      return { height: buf.readUInt16BE(s.start + 1), width: buf.readUInt16BE(s.start + 3) };
    }
  }
  return null;
}

/** A TIFF structure (the inside of an EXIF block) with its byte order. */
class Tiff {
  constructor(
    readonly buf: Buffer,
    readonly base: number,
    readonly end: number,
    readonly le: boolean,
  ) {}
  u16(off: number): number | null {
    const at = this.base + off;
    if (off < 0 || at + 2 > this.end) return null;
    return this.le ? this.buf.readUInt16LE(at) : this.buf.readUInt16BE(at);
  }
  u32(off: number): number | null {
    const at = this.base + off;
    if (off < 0 || at + 4 > this.end) return null;
    return this.le ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
  }
  /** The IFD at `off`: its SHORT/LONG values by tag, and the next IFD's offset. */
  ifd(off: number): { tags: Map<number, number>; next: number } | null {
    const n = this.u16(off);
    if (n === null || n > 512) return null;
    const tags = new Map<number, number>();
    for (let k = 0; k < n; k++) {
      const e = off + 2 + k * 12;
      const tag = this.u16(e);
      const type = this.u16(e + 2);
      if (tag === null || type === null) return null;
      // SHORT (3) values sit in the first two bytes of the value field, LONG (4) fill it.
      const v = type === 3 ? this.u16(e + 8) : type === 4 ? this.u32(e + 8) : null;
      if (v !== null) tags.set(tag, v);
    }
    return { tags, next: this.u32(off + 2 + n * 12) ?? 0 };
  }
}

function exifTiff(buf: Buffer): Tiff | null {
  for (const s of segments(buf)) {
    if (s.marker !== 0xe1 || s.length < 14) continue;
    if (buf.toString('latin1', s.start, s.start + 6) !== 'Exif\0\0') continue;
    const base = s.start + 6;
    const end = Math.min(buf.length, s.start + s.length);
    const order = buf.toString('latin1', base, base + 2);
    if (order !== 'II' && order !== 'MM') return null;
    return new Tiff(buf, base, end, order === 'II');
  }
  return null;
}

/** The EXIF orientation (1–8), 1 when absent. */
export function exifOrientation(buf: Buffer): number {
  const tiff = exifTiff(buf);
  const ifd0 = tiff && tiff.ifd(tiff.u32(4) ?? -1);
  const o = ifd0?.tags.get(0x0112);
  return o !== undefined && o >= 1 && o <= 8 ? o : 1;
}

/**
 * The thumbnail embedded in a JPEG's EXIF block (IFD1's JPEGInterchangeFormat), given the file's
 * first bytes, with the photo's orientation written into it so that browsers turn it as they turn
 * the photo. Null when there is none or it is not a JPEG.
 */
export function exifThumbnail(buf: Buffer): Buffer | null {
  const tiff = exifTiff(buf);
  if (!tiff) return null;
  const ifd0 = tiff.ifd(tiff.u32(4) ?? -1);
  if (!ifd0 || !ifd0.next) return null;
  const ifd1 = tiff.ifd(ifd0.next);
  const off = ifd1?.tags.get(0x0201);
  const len = ifd1?.tags.get(0x0202);
  if (off === undefined || len === undefined || len < 4 || tiff.base + off + len > tiff.end) return null;
  const thumb = Buffer.from(buf.subarray(tiff.base + off, tiff.base + off + len));
  if (!isJpeg(thumb) || !jpegSize(thumb)) return null;
  const o = ifd0.tags.get(0x0112) ?? 1;
  return o > 1 && o <= 8 ? withOrientation(thumb, o) : thumb;
}

/** A copy of `jpeg` with a minimal EXIF block (only the Orientation tag) right after its SOI. */
export function withOrientation(jpeg: Buffer, orientation: number): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4); // IFD0 right after the header
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(0x0112, 10); // Orientation
  tiff.writeUInt16BE(3, 12); // SHORT
  tiff.writeUInt32BE(1, 14); // count
  tiff.writeUInt16BE(orientation, 18);
  tiff.writeUInt32BE(0, 22); // no next IFD
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), head, payload, jpeg.subarray(2)]);
}
