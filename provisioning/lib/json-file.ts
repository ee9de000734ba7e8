// A small JSON state file written whole or not at all: a temporary file (0600, never through a link), then a
// rename. `sync` (the default) flushes it first, for records a power cut must not lose; progress files skip it.
import { constants } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import path from 'node:path';

export async function writeJsonAtomic(file: string, value: unknown, opts: { sync?: boolean } = {}): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.tmp-${process.pid}`;
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`);
    if (opts.sync !== false) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
}
