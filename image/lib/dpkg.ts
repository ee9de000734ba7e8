// The Debian packages installed in a root, read from its own dpkg database (10-rootfs checks them against the lock, 80-release lists them).
import path from 'node:path';
import { quiet } from './step.js';

/** name → version of every package whose status is "installed" (ii). */
export async function installedVersions(root: string): Promise<Record<string, string>> {
  const out = await quiet`dpkg-query --admindir=${path.join(root, 'var/lib/dpkg')} -W -f=${'${db:Status-Abbrev}\t${Package}\t${Version}\n'}`;
  const versions: Record<string, string> = {};
  for (const line of out.stdout.split('\n')) {
    const [status, name, version] = line.split('\t');
    if (status?.startsWith('ii') && name && version) versions[name] = version;
  }
  return versions;
}
