// /etc/fstab edits: the SSD mount by label (nofail, short device timeout) and noatime on the SD card.
import type { Config } from '../config.js';
import { DATA_LABEL, DATA_ROOT } from '../contract.js';

const BEGIN = '# BEGIN homedrive data SSD (managed by Home Container Drive provisioning)';
const END = '# END homedrive data SSD';
// The SD card's own filesystems: fewer writes with noatime.
const SD_MOUNTS = new Set(['/', '/boot/firmware', '/boot']);

export function ssdFstabLine(config: Config): string {
  const options = [
    'noatime',
    // User files are data: never devices, set-uid programs or executables.
    'nodev',
    'nosuid',
    'noexec',
    // A boot without the SSD must still reach the portal.
    'nofail',
    `x-systemd.device-timeout=${config.storage.deviceTimeoutSec}s`,
  ];
  return `LABEL=${DATA_LABEL} ${DATA_ROOT} ext4 ${options.join(',')} 0 2`;
}

function withNoatime(line: string): string {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return line;
  const cols = trimmed.split(/\s+/);
  if (cols.length < 4 || !SD_MOUNTS.has(cols[1]!)) return line;
  const opts = cols[3]!.split(',');
  const kept = opts.filter((o) => !['atime', 'relatime', 'strictatime', 'noatime'].includes(o));
  if (opts.includes('noatime') && kept.length === opts.length - 1) return line;
  cols[3] = [...kept, 'noatime'].join(',');
  return cols.join('\t');
}

/** Pure edit of an existing fstab: the managed block is replaced, other lines kept (SD ones get noatime). */
export function renderFstab(current: string, config: Config): string {
  const lines = current.replace(/\n$/, '').split('\n');
  const kept: string[] = [];
  let inBlock = false;
  for (const line of lines) {
    if (line === BEGIN) inBlock = true;
    else if (line === END) inBlock = false;
    else if (!inBlock) kept.push(withNoatime(line));
  }
  while (kept.length > 0 && kept.at(-1)!.trim() === '') kept.pop();
  return `${[...kept, BEGIN, ssdFstabLine(config), END].join('\n')}\n`;
}
