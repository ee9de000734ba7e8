// Signed update bundles (.hcdb): the release bundle's tar.xz behind a small signed manifest, so that the Pi installs
// only what the holder of the project's Ed25519 key built, and nothing outside /opt/homedrive.
//
// Layout (all of it one file, read as a stream; bundles are ~40 MB and the Pi serves users while it checks one):
//   8 bytes   magic "HCDBNDL1"
//   4 bytes   manifest length, big-endian (1 .. 64 KiB)
//   n bytes   manifest, UTF-8 JSON (see manifestSchema)
//   64 bytes  Ed25519 signature of exactly those n bytes
//   the rest  payload: the release bundle's tar.xz as 85-bundle-archive writes it (paths from opt/homedrive/)
//
// Only the manifest is signed (Ed25519 wants the whole message in memory); it pins the payload by size and
// SHA-256, which verifyBundle() recomputes by streaming. checkPayloadEntries() then reads the tar's headers
// itself, so that a signed but wrong bundle (a build mistake, a stolen key used carelessly) still cannot write
// outside /opt/homedrive when root unpacks it.
// Node built-ins and zod only: this runs on the Pi inside the root helper.
import { spawn } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';

export const MAGIC = Buffer.from('HCDBNDL1', 'latin1');
export const MAX_MANIFEST_BYTES = 64 * 1024;
export const SIGNATURE_BYTES = 64;
const HEADER_BYTES = MAGIC.length + 4;

/** The directory every payload entry lies under (the contract's APP_DIR without its leading slash). */
export const PAYLOAD_ROOT = ['opt', 'homedrive'] as const;

const versionString = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[0-9A-Za-z.+~-]+$/, 'only letters, digits and . + ~ -');

export const manifestSchema = z
  .object({
    format: z.literal(1),
    version: versionString,
    created: z.iso.datetime(),
    payloadSha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
    payloadBytes: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    nodeVersion: versionString.optional(),
  })
  .strict();

export type BundleManifest = z.infer<typeof manifestSchema>;

export type BundleErrorCode = 'not_a_bundle' | 'bad_manifest' | 'bad_signature' | 'tampered' | 'unsafe_path' | 'bad_payload';

/**
 * Why a bundle is refused. not_a_bundle: no magic or cut short before its payload; bad_manifest: a signed manifest
 * that is not a format-1 manifest; bad_signature: not signed by the key given; tampered: the payload's size or
 * SHA-256 differs from the manifest's; unsafe_path: an entry that would land outside opt/homedrive/ or is not a
 * plain file, directory or contained symlink; bad_payload: the payload does not decompress or is not a tar we read.
 */
export class BundleError extends Error {
  constructor(
    readonly code: BundleErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BundleError';
  }
}

// ---------------------------------------------------------------------------------------------------- keys

function ed25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${what} is a ${key.asymmetricKeyType ?? 'symmetric'} key, not Ed25519`);
  return key;
}

/** The public half of an Ed25519 private key PEM, as SPKI PEM (what the image will carry to verify bundles). */
export function publicKeyPemFromPrivate(privateKeyPem: string): string {
  const key = ed25519(createPrivateKey(privateKeyPem), 'the bundle signing key');
  return createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
}

/** SHA-256 of the raw public key, hex: short enough to print in a build log and compare by eye. */
export function keyFingerprint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}

// ---------------------------------------------------------------------------------------------------- writing

export interface WriteBundleOptions {
  payloadFile: string;
  outFile: string;
  version: string;
  privateKeyPem: string;
  nodeVersion?: string;
}

/** A pass-through that hashes and counts what flows through it. */
function hashingTap(): { tap: Transform; digest: () => { sha256: string; bytes: number } } {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { tap, digest: () => ({ sha256: hash.digest('hex'), bytes }) };
}

async function hashFile(file: string, start = 0): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file, { start })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Writes outFile: header, signed manifest, then the payload copied as a stream. The payload is read twice (to hash
 * it before the manifest, then to copy it) and hashed again while copied, so a payload that changes in between
 * fails here rather than on the Pi. Written to a temporary name and renamed: no half bundle under the real name.
 */
export async function writeBundle(opts: WriteBundleOptions): Promise<BundleManifest> {
  const key = ed25519(createPrivateKey(opts.privateKeyPem), 'the bundle signing key');
  const payload = await hashFile(opts.payloadFile);
  const manifest = manifestSchema.parse({
    format: 1,
    version: opts.version,
    created: new Date().toISOString(),
    payloadSha256: payload.sha256,
    payloadBytes: payload.bytes,
    ...(opts.nodeVersion === undefined ? {} : { nodeVersion: opts.nodeVersion }),
  });
  const manifestBytes = Buffer.from(JSON.stringify(manifest), 'utf8');
  if (manifestBytes.length > MAX_MANIFEST_BYTES) throw new Error(`the manifest is ${manifestBytes.length} bytes, more than ${MAX_MANIFEST_BYTES}`);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(manifestBytes.length);
  const signature = sign(null, manifestBytes, key);

  const tmp = `${opts.outFile}.tmp-${process.pid}`;
  try {
    const out = createWriteStream(tmp, { mode: 0o644 });
    out.write(Buffer.concat([MAGIC, length, manifestBytes, signature]));
    const { tap, digest } = hashingTap();
    await pipeline(createReadStream(opts.payloadFile), tap, out);
    const copied = digest();
    if (copied.sha256 !== payload.sha256 || copied.bytes !== payload.bytes) throw new Error(`${opts.payloadFile} changed while the bundle was written`);
    const fh = await open(tmp, 'r');
    await fh.sync().finally(() => fh.close());
    await rename(tmp, opts.outFile);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return manifest;
}

// ---------------------------------------------------------------------------------------------------- verifying

export interface VerifiedBundle {
  manifest: BundleManifest;
  /** Where the payload (the tar.xz) starts in the file. */
  payloadOffset: number;
}

/**
 * Checks the magic, the signature (before anything of the manifest is parsed: unsigned input is never interpreted),
 * the manifest, then the payload's size and streamed SHA-256. The file must not change between this check and its
 * use: verify a copy only root can write, and unpack that same copy.
 */
export async function verifyBundle(file: string, publicKeyPem: string): Promise<VerifiedBundle> {
  const publicKey = ed25519(createPublicKey(publicKeyPem), 'the bundle verification key');
  const fh = await open(file, 'r');
  let manifestBytes: Buffer;
  let signature: Buffer;
  let size: number;
  try {
    size = (await fh.stat()).size;
    const header = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await fh.read(header, 0, HEADER_BYTES, 0);
    if (bytesRead < HEADER_BYTES || !header.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new BundleError('not_a_bundle', `${file} is not a signed bundle (no ${MAGIC.toString('latin1')} header)`);
    }
    const length = header.readUInt32BE(MAGIC.length);
    if (length === 0 || length > MAX_MANIFEST_BYTES) {
      throw new BundleError('bad_manifest', `${file}: the manifest length ${length} is outside 1..${MAX_MANIFEST_BYTES}`);
    }
    if (size < HEADER_BYTES + length + SIGNATURE_BYTES) {
      throw new BundleError('not_a_bundle', `${file} is cut short: ${size} bytes, its header alone needs ${HEADER_BYTES + length + SIGNATURE_BYTES}`);
    }
    const rest = Buffer.alloc(length + SIGNATURE_BYTES);
    await fh.read(rest, 0, rest.length, HEADER_BYTES);
    manifestBytes = rest.subarray(0, length);
    signature = rest.subarray(length);
  } finally {
    await fh.close();
  }

  if (!verify(null, manifestBytes, publicKey, signature)) {
    throw new BundleError('bad_signature', `${file}: the signature does not verify with this drive's key (unsigned, signed by another key, or altered)`);
  }
  const manifest = parseManifest(manifestBytes, file);
  const payloadOffset = HEADER_BYTES + manifestBytes.length + SIGNATURE_BYTES;
  const payloadBytes = size - payloadOffset;
  if (payloadBytes !== manifest.payloadBytes) {
    throw new BundleError('tampered', `${file}: the payload is ${payloadBytes} bytes, the manifest says ${manifest.payloadBytes}`);
  }
  const actual = await hashFile(file, payloadOffset);
  if (actual.bytes !== manifest.payloadBytes || actual.sha256 !== manifest.payloadSha256) {
    throw new BundleError('tampered', `${file}: the payload's SHA-256 is ${actual.sha256}, the manifest says ${manifest.payloadSha256}`);
  }
  return { manifest, payloadOffset };
}

function parseManifest(bytes: Buffer, file: string): BundleManifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new BundleError('bad_manifest', `${file}: the manifest is not UTF-8 JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(manifest)'}: ${i.message}`).join('; ');
    throw new BundleError('bad_manifest', `${file}: the manifest is not a format-1 bundle manifest: ${problems}`);
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------------- the payload's tar entries

const BLOCK = 512;
/** A GNU long name or pax header larger than this is refused unread (real ones are a few hundred bytes). */
const MAX_META_BYTES = 1024 * 1024;
/** As the kernel's ELOOP: more symlinks than this while following one target is a loop or an attack. */
const MAX_LINK_HOPS = 40;

/** Reads exact byte counts from a stream of chunks without ever holding more than one chunk plus the request. */
class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;
  /** Bytes consumed so far: offsets in error messages. */
  position = 0;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(n: number): Promise<void> {
    while (this.buffered < n && !this.done) {
      const next = await this.source.next();
      if (next.done) this.done = true;
      else if (next.value.length > 0) {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
  }

  /** Exactly n bytes, or fewer only at the end of the stream (an empty buffer there). */
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const take = Math.min(n, this.buffered);
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, take);
    const rest = all.subarray(take);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    this.position += take;
    return out;
  }

  /** Discards n bytes (file data) chunk by chunk; false if the stream ended first. */
  async skip(n: number): Promise<boolean> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0) {
        await this.fill(1);
        if (this.buffered === 0) return false;
      }
      const first = this.chunks[0]!;
      const take = Math.min(left, first.length);
      if (take === first.length) this.chunks.shift();
      else this.chunks[0] = first.subarray(take);
      this.buffered -= take;
      this.position += take;
      left -= take;
    }
    return true;
  }
}

/** A NUL-terminated header field, byte for byte (latin1: one character per byte, so no two names collide). */
function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return (nul === -1 ? raw : raw.subarray(0, nul)).toString('latin1');
}

/** An octal number field, or GNU's base-256 form (first byte's high bit set) used for sizes of 8 GiB and more. */
function numeric(block: Buffer, start: number, length: number, what: string, at: number): number {
  const raw = block.subarray(start, start + length);
  if (raw[0]! & 0x80) {
    if (raw[0]! & 0x40) throw new BundleError('bad_payload', `tar header at byte ${at}: negative ${what}`);
    let value = raw[0]! & 0x3f;
    for (const byte of raw.subarray(1)) value = value * 256 + byte;
    if (!Number.isSafeInteger(value)) throw new BundleError('bad_payload', `tar header at byte ${at}: ${what} too large`);
    return value;
  }
  const text = raw.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new BundleError('bad_payload', `tar header at byte ${at}: ${what} "${text}" is not octal`);
  return parseInt(text, 8);
}

function checksumOk(block: Buffer): boolean {
  const stored = field(block, 148, 8).trim();
  if (!/^[0-7]+$/.test(stored)) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return parseInt(stored, 8) === sum;
}

/** Names in messages as the UTF-8 they almost always are. */
function display(name: string): string {
  return JSON.stringify(Buffer.from(name, 'latin1').toString('utf8'));
}

/** A pax extended header's records ("<length> <key>=<value>\n", length counting the whole record, in bytes). */
function paxRecords(data: Buffer, at: number): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // padding some writers leave after the last record
    const space = data.indexOf(0x20, pos);
    const length = space === -1 ? NaN : Number(data.subarray(pos, space).toString('latin1'));
    if (!Number.isSafeInteger(length) || length <= space - pos + 1 || pos + length > data.length || data[pos + length - 1] !== 0x0a) {
      throw new BundleError('bad_payload', `pax header at byte ${at}: a malformed record at offset ${pos}`);
    }
    const record = data.subarray(space + 1, pos + length - 1).toString('latin1');
    const eq = record.indexOf('=');
    if (eq <= 0) throw new BundleError('bad_payload', `pax header at byte ${at}: a record without key=value`);
    records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += length;
  }
  return records;
}

/**
 * A path as segments, with "." and empty segments dropped (they do not move anywhere); null when it is absolute,
 * has a ".." segment or a NUL, which no bundle needs and which could leave the directory tar unpacks into.
 */
function segments(name: string): string[] | null {
  if (name.startsWith('/') || name.includes('\0')) return null;
  const parts = name.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) return null;
  return parts;
}

function underRoot(parts: readonly string[], strictly: boolean): boolean {
  const prefix = PAYLOAD_ROOT.every((p, i) => parts[i] === p);
  return strictly ? prefix && parts.length > PAYLOAD_ROOT.length : prefix;
}

/** opt/ and opt/homedrive/ themselves may be directory entries (85-bundle-archive archives "opt"); nothing else outside. */
function isRootAncestor(parts: readonly string[]): boolean {
  return parts.length > 0 && parts.length <= PAYLOAD_ROOT.length && parts.every((p, i) => p === PAYLOAD_ROOT[i]);
}

/** What GNU long-name/long-link and pax 'x' headers say about the entry that follows them. */
interface PendingMeta {
  longName?: string;
  longLink?: string;
  pax?: Map<string, string>;
}

/**
 * One entry with every name it could take (its header's, GNU 'L', pax path, global or its own) and every link
 * target likewise: tar implementations differ on which wins, so all are checked.
 */
interface Entry {
  type: string;
  names: string[];
  linkNames: string[];
  mode: number;
}

const REGULAR = new Set(['0', '\0', '7']);
const TYPE_NAMES: Record<string, string> = {
  '1': 'a hard link',
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a fifo',
  S: 'a GNU sparse file',
  V: 'a volume label',
  M: 'a multi-volume continuation',
  D: 'a GNU dump directory',
  N: 'an old GNU long name',
};

function refuse(entry: Entry, why: string): never {
  throw new BundleError('unsafe_path', `the bundle's entry ${display(entry.names[0] ?? '')} ${why}`);
}

/** Checks one entry's every name and its type. */
function checkEntry(entry: Entry): void {
  if (entry.names.length === 0) refuse(entry, 'has an empty name');
  for (const name of entry.names) {
    const parts = segments(name);
    if (parts === null || parts.length === 0) refuse({ ...entry, names: [name] }, 'is absolute, empty or has a ".." segment');
    const allowed = underRoot(parts, true) || (entry.type === '5' && isRootAncestor(parts));
    if (!allowed) refuse({ ...entry, names: [name] }, `is not under ${PAYLOAD_ROOT.join('/')}/`);
  }
  if (!REGULAR.has(entry.type) && entry.type !== '5' && entry.type !== '2') {
    refuse(entry, `is ${TYPE_NAMES[entry.type] ?? `of tar type ${JSON.stringify(entry.type)}`}: only files, directories and symlinks are installed`);
  }
  if (entry.mode & 0o6000) refuse(entry, 'is setuid or setgid');
}

/**
 * Follows a symlink's target from the link's directory as the kernel would, through the archive's own symlinks
 * (a "..", after a link, climbs from where that link points, not from where it sits), and fails the moment the
 * walk leaves opt/homedrive/. Symlinks already on the Pi are not known here; the bundle replaces opt/homedrive's
 * contents.
 */
function resolvesInside(linkPath: readonly string[], target: string, links: ReadonlyMap<string, string>): string | null {
  if (target.startsWith('/')) return 'points to an absolute path';
  if (target === '' || target.includes('\0')) return 'has an empty target';
  // The link's own directory is walked too: it may itself lie behind one of the archive's symlinks.
  let current: string[] = [];
  let queue = [...linkPath.slice(0, -1), ...target.split('/')];
  let hops = 0;
  while (queue.length > 0) {
    const part = queue.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      current.pop();
      if (!underRoot(current, false)) return `leaves ${PAYLOAD_ROOT.join('/')}/ (target ${display(target)})`;
      continue;
    }
    current.push(part);
    const next = links.get(current.join('/'));
    if (next === undefined) continue;
    if (++hops > MAX_LINK_HOPS) return `goes through more than ${MAX_LINK_HOPS} symlinks (target ${display(target)})`;
    if (next.startsWith('/')) return `goes through a symlink to an absolute path (target ${display(target)})`;
    current = current.slice(0, -1);
    queue = [...next.split('/'), ...queue];
  }
  return underRoot(current, false) ? null : `leaves ${PAYLOAD_ROOT.join('/')}/ (target ${display(target)})`;
}

async function readEntries(reader: ByteReader): Promise<{ entries: number; bytes: number }> {
  let entries = 0;
  let bytes = 0;
  let pending: PendingMeta = {};
  let global = new Map<string, string>();
  /** Symlinks by their path's every spelling, and each link's (path, target) pairs to check at the end. */
  const links = new Map<string, string>();
  const linkChecks: Array<{ name: string; parts: string[]; target: string }> = [];

  for (;;) {
    const at = reader.position;
    const block = await reader.read(BLOCK);
    if (block.length === 0) throw new BundleError('bad_payload', 'the tar archive ends without its end-of-archive blocks');
    if (block.length < BLOCK) throw new BundleError('bad_payload', `the tar archive is cut short at byte ${at}`);
    if (block.every((b) => b === 0)) break;
    if (!checksumOk(block)) throw new BundleError('bad_payload', `tar header at byte ${at}: bad checksum (not a tar archive, or damaged)`);

    const type = String.fromCharCode(block[156]!);
    const magic = block.subarray(257, 263).toString('latin1');
    const headerName = field(block, 0, 100);
    // POSIX ustar splits long names into prefix/name; GNU's "ustar  " header uses those bytes for other things.
    const prefix = magic === 'ustar\0' ? field(block, 345, 155) : '';
    const size = numeric(block, 124, 12, 'size', at);

    if (type === 'L' || type === 'K' || type === 'x' || type === 'g') {
      if (size > MAX_META_BYTES) throw new BundleError('bad_payload', `tar header at byte ${at}: a ${size}-byte ${type} header`);
      const data = await reader.read(size);
      if (data.length < size || !(await reader.skip(padding(size))))
        throw new BundleError('bad_payload', `the tar archive is cut short at byte ${reader.position}`);
      if (type === 'L') pending.longName = field(data, 0, data.length);
      else if (type === 'K') pending.longLink = field(data, 0, data.length);
      else {
        const records = paxRecords(data, at);
        for (const key of records.keys()) {
          if (key.startsWith('GNU.sparse.')) throw new BundleError('unsafe_path', `pax header at byte ${at}: sparse files are not installed`);
        }
        if (type === 'x') pending.pax = records;
        else global = new Map([...global, ...records]);
      }
      continue;
    }

    const pax = pending.pax;
    const dataSize = paxSize(pax?.get('size') ?? global.get('size'), at) ?? size;
    const candidates = (...values: Array<string | undefined>) => [...new Set(values.filter((v): v is string => v !== undefined))];
    const entry: Entry = {
      type,
      // GNU tar's precedence, first: the entry's pax record, a global one, a GNU long name, the header's own
      // (for a long name, its first 100 bytes); messages name the first.
      names: candidates(pax?.get('path'), global.get('path'), pending.longName, prefix ? `${prefix}/${headerName}` : headerName),
      linkNames: candidates(pax?.get('linkpath'), global.get('linkpath'), pending.longLink, field(block, 157, 100)),
      mode: numeric(block, 100, 8, 'mode', at),
    };
    pending = {};
    entries++;
    checkEntry(entry);
    if (type === '2') {
      for (const name of entry.names) {
        const p = segments(name)!;
        for (const target of entry.linkNames) {
          links.set(p.join('/'), target);
          linkChecks.push({ name, parts: p, target });
        }
      }
      if (entry.linkNames.length === 0) refuse(entry, 'is a symlink without a target');
    }
    // Directories and symlinks carry no data; regular files do, padded to whole blocks. A directory or link with a
    // size is read differently by different tars: refused rather than guessed.
    const dataBytes = type === '5' || type === '2' ? 0 : dataSize;
    if ((type === '5' || type === '2') && dataSize !== 0)
      throw new BundleError('bad_payload', `tar header at byte ${at}: ${display(entry.names[0]!)} has a size`);
    bytes += dataBytes;
    if (!(await reader.skip(dataBytes + padding(dataBytes))))
      throw new BundleError('bad_payload', `the tar archive is cut short inside ${display(entry.names[0]!)}`);
  }

  // Only now are all the archive's symlinks known: a link may point through one that comes later.
  for (const { name, parts, target } of linkChecks) {
    const why = resolvesInside(parts, target, links);
    if (why !== null) throw new BundleError('unsafe_path', `the bundle's symlink ${display(name)} ${why}`);
  }
  // After the end-of-archive block tar stops reading; anything but zeros there would be read by no one, so a
  // payload with hidden entries after it is refused rather than half-checked.
  for (;;) {
    const rest = await reader.read(64 * 1024);
    if (rest.length === 0) break;
    if (!rest.every((b) => b === 0)) throw new BundleError('bad_payload', 'the tar archive has data after its end-of-archive block');
  }
  return { entries, bytes };
}

/** A pax "size" record: it replaces the header's size (GNU tar honours it), so skipping must too. */
function paxSize(value: string | undefined, at: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new BundleError('bad_payload', `pax header before byte ${at}: size "${value}"`);
  return Number(value);
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/**
 * Decompresses the payload with `xz -dc` (spawned with an argument array, no shell) and reads every tar header,
 * refusing (unsafe_path) absolute names, ".." segments, anything outside opt/homedrive/, hard links, devices,
 * fifos and other special entries, setuid/setgid modes, and symlinks that point outside opt/homedrive/. Returns the
 * number of entries and the bytes of file data they unpack to.
 */
export async function checkPayloadEntries(file: string, payloadOffset: number): Promise<{ entries: number; bytes: number }> {
  const xz = spawn('xz', ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
  let stderr = '';
  xz.stderr.setEncoding('utf8');
  xz.stderr.on('data', (s: string) => {
    if (stderr.length < 4096) stderr += s;
  });
  const exited = new Promise<number | string>((resolve) => {
    xz.on('error', (error) => resolve(error.message));
    xz.on('close', (code, signal) => resolve(code ?? signal ?? -1));
  });
  // xz stops reading when it fails or is killed below: the feeding side's EPIPE is expected then.
  const fed = pipeline(createReadStream(file, { start: payloadOffset }), xz.stdin).catch((error: unknown) => error);

  try {
    const result = await readEntries(new ByteReader(xz.stdout[Symbol.asyncIterator]() as AsyncIterator<Buffer>));
    const status = await exited;
    if (status !== 0) throw new BundleError('bad_payload', `the payload does not decompress (xz: ${stderr.trim() || status})`);
    const feedError = await fed;
    if (feedError) throw feedError;
    return result;
  } catch (error) {
    // Unread output would keep xz's pipes, and so its 'close', open forever.
    xz.stdout.destroy();
    xz.kill('SIGKILL');
    await exited;
    await fed;
    // A tar that ends early because xz failed is xz's failure, said in xz's words.
    if (error instanceof BundleError && error.code === 'bad_payload' && stderr.trim() !== '') {
      throw new BundleError('bad_payload', `the payload does not decompress (xz: ${stderr.trim()})`);
    }
    throw error;
  }
}
