// /etc/hostname and the /etc/hosts line for the device's own name.
import type { Config } from '../config.js';

export function renderHostname(config: Config): string {
  return `${config.hostname}\n`;
}

/** Pure edit of /etc/hosts: one 127.0.1.1 line naming the device (Debian's convention), the rest kept. */
export function renderHosts(current: string, config: Config): string {
  const lines = current
    .replace(/\n$/, '')
    .split('\n')
    .filter((l) => !/^127\.0\.1\.1\s/.test(l));
  const own = `127.0.1.1\t${config.hostname}`;
  const at = lines.findIndex((l) => /^127\.0\.0\.1\s/.test(l));
  lines.splice(at === -1 ? 0 : at + 1, 0, own);
  return `${lines.join('\n')}\n`;
}
