// Looks up users and groups in a root's /etc/passwd and /etc/group (never the host's NSS).
import { readFile } from 'node:fs/promises';
import path from 'node:path';

async function lookup(root: string, file: string, name: string, field: number): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(path.join(root, file), 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const cols = line.split(':');
    if (cols[0] === name && cols[field] !== undefined) return Number(cols[field]);
  }
  return null;
}

export function lookupUid(root: string, name: string): Promise<number | null> {
  return name === 'root' ? Promise.resolve(0) : lookup(root, 'etc/passwd', name, 2);
}

export function lookupGid(root: string, name: string): Promise<number | null> {
  return name === 'root' ? Promise.resolve(0) : lookup(root, 'etc/group', name, 2);
}
