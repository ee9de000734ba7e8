// Copies within a space (WebDAV COPY): every file copied is a new upload by whoever copies it, through
// Uploads — the same permission, quota, free-space, SHA-256 and atomic-commit path as a PUT — and every
// folder a mkdir through the drive. The copies belong to the caller, as if they had uploaded them.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { badRequest } from '../errors.js';
import type { Space } from '../policy/policy.js';
import { validateName } from '../storage/paths.js';
import type { Drive } from './drive.js';
import type { Ctx } from './tree.js';
import type { Uploads } from './uploads.js';

export class Copies {
  constructor(
    private readonly drive: Drive,
    private readonly uploads: Uploads,
  ) {}

  /**
   * Copies `from` to `to`; a folder with its content unless `depth` is 0. `to` must not exist, except
   * with `overwrite` for a file onto a file: then the copy is an overwriting upload, which keeps the
   * replaced version in the trash only once the new bytes are in place (one rename), so a copy that
   * fails (over quota, disk full, source gone) leaves the destination as it was.
   */
  async copy(ctx: Ctx, space: Space, from: string[], to: string[], depth: 0 | 'infinity', opts: { overwrite?: boolean } = {}): Promise<void> {
    if (from.length === 0 || to.length === 0) throw badRequest('invalid_path', 'The space root cannot be copied.');
    const fromRel = from.join('/');
    const toRel = to.join('/');
    if (toRel === fromRel || toRel.startsWith(fromRel + '/')) throw badRequest('invalid_path', 'A folder cannot be copied into itself.');
    await this.copyEntry(ctx, space, from, to, depth, opts.overwrite ?? false);
  }

  private async copyEntry(ctx: Ctx, space: Space, from: string[], to: string[], depth: 0 | 'infinity', overwrite = false): Promise<void> {
    const src = await this.drive.stat(ctx, space, from);
    if (src.kind === 'file') {
      // O_NOFOLLOW: a symlink swapped in after stat's lstat is not followed.
      const fd = await fsp.open(src.abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      try {
        const stream = fd.createReadStream({ autoClose: false, highWaterMark: 512 * 1024 });
        await this.uploads.upload(ctx, space, to, stream, { contentLength: src.stat.size, overwrite });
      } finally {
        await fd.close();
      }
      return;
    }
    await this.drive.mkdir(ctx, space, to);
    if (depth === 0) return;
    const children = await fsp.readdir(src.abs, { withFileTypes: true });
    children.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const d of children) {
      if (!d.isFile() && !d.isDirectory()) continue; // symlinks and devices are never followed or copied
      let name: string;
      try {
        name = validateName(d.name);
      } catch {
        continue; // a name put there from outside the drive that the drive itself could not create
      }
      if (name !== d.name && !fs.existsSync(path.join(src.abs, name))) continue;
      await this.copyEntry(ctx, space, [...from, name], [...to, name], depth);
    }
  }
}
