// One request at a time across processes: the root helper runs one process per connection (Accept=yes), so
// two admins pressing a button together run two verbs at once. A verb that checks "nothing is running" and
// then records its own job holds this lock across both steps, so that the second one sees the first.
// The lock is a file created with O_EXCL holding its owner's pid; a lock whose owner is gone (killed, a power
// cut: the state directories survive a reboot) or older than `staleMs` is taken over.
import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';

export class LockBusy extends Error {}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function stale(file: string, staleMs: number): Promise<boolean> {
  const st = await lstat(file).catch(() => null);
  if (!st) return true;
  if (Date.now() - st.mtimeMs > staleMs) return true;
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  // Written a moment after the create: an empty file younger than a second is a live owner still writing.
  if (!pid) return Date.now() - st.mtimeMs > 1000;
  return pid !== process.pid && !alive(pid);
}

export async function withLockFile<T>(file: string, fn: () => Promise<T>, opts: { staleMs?: number } = {}): Promise<T> {
  const staleMs = opts.staleMs ?? 300_000;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  let handle;
  for (let attempt = 0; ; attempt++) {
    try {
      handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (attempt > 0 || !(await stale(file, staleMs))) throw new LockBusy(`${file} is held by another request`);
      await unlink(file).catch(() => undefined);
    }
  }
  try {
    try {
      await handle.writeFile(`${process.pid}\n`);
    } finally {
      await handle.close();
    }
    return await fn();
  } finally {
    await unlink(file).catch(() => undefined);
  }
}
