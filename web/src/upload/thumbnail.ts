// The grid's thumbnails are made here, in the uploader's browser, while the photo uploads: the phone
// has the file in hand and decodes a JPEG with its own hardware-tuned decoder, where the Pi would spend
// about a second of a core per photo (daemon/src/services/thumbs.ts). The daemon checks what it gets.
import { fsUrl } from '../api.js';

/** The thumbnail's longer side in pixels: a grid cell is ~170 CSS px, up to 3 device pixels each on a phone. */
export const THUMB_SIDE = 480;
const QUALITY = 0.72;
/** The daemon's limit (THUMB_MAX_BYTES); a thumbnail over it is made again, smaller. */
const MAX_BYTES = 96 * 1024;
/** Bigger images are not decoded on a phone (memory); the grid shows their icon or EXIF thumbnail. */
const MAX_SOURCE_BYTES = 40 * 1024 * 1024;
const DECODABLE = /^image\/(jpeg|png|gif|webp|avif|bmp)$/;

export const canThumbnail = (file: File): boolean => DECODABLE.test(file.type) && file.size <= MAX_SOURCE_BYTES;

type Source = { width: number; height: number; img: CanvasImageSource; close(): void };

async function decode(file: File): Promise<Source> {
  if (typeof createImageBitmap === 'function') {
    // from-image: the photo turned the way its EXIF says, as the viewer shows it.
    const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
    return { width: bmp.width, height: bmp.height, img: bmp, close: () => bmp.close() };
  }
  const url = URL.createObjectURL(file);
  const img = new Image();
  img.src = url;
  try {
    await img.decode();
  } catch (err) {
    URL.revokeObjectURL(url);
    throw err;
  }
  return { width: img.naturalWidth, height: img.naturalHeight, img, close: () => URL.revokeObjectURL(url) };
}

function toJpeg(canvas: HTMLCanvasElement, quality: number): Promise<Blob | null> {
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
}

/** A small JPEG of an image file, or null when the browser cannot decode it. */
export async function makeThumbnail(file: File): Promise<Blob | null> {
  if (!canThumbnail(file)) return null;
  const t0 = performance.now();
  let src: Source;
  try {
    src = await decode(file);
  } catch {
    return null;
  }
  try {
    let side = THUMB_SIDE;
    for (let attempt = 0; attempt < 3; attempt++) {
      const scale = Math.min(1, side / Math.max(src.width, src.height));
      const canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round(src.width * scale));
      canvas.height = Math.max(1, Math.round(src.height * scale));
      const ctx = canvas.getContext('2d');
      if (!ctx) return null;
      ctx.fillStyle = '#fff'; // transparent PNGs on white, as JPEG has no alpha
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(src.img, 0, 0, canvas.width, canvas.height);
      const blob = await toJpeg(canvas, QUALITY);
      if (blob && blob.size <= MAX_BYTES) {
        // What it cost this device (read by the browser tests and the CPU figures).
        performance.measure('hcd-thumbnail', { start: t0, end: performance.now(), detail: { bytes: file.size, thumb: blob.size } });
        return blob;
      }
      side = Math.round(side * 0.7);
    }
    return null;
  } finally {
    src.close();
  }
}

/** Sends a thumbnail for the file just stored at `names` in `space`; failures only cost the grid its picture. */
export async function sendThumbnail(space: string, names: readonly string[], thumb: Blob): Promise<boolean> {
  try {
    const res = await fetch(fsUrl(space, names, 'thumb=1'), {
      method: 'PUT',
      credentials: 'same-origin',
      body: thumb,
      headers: { 'content-type': 'image/jpeg' },
    });
    return res.ok;
  } catch {
    return false;
  }
}
