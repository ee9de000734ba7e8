// systemd helpers: unit-name escaping and enabling units inside a root through `systemctl --root`.
import { $ } from 'zx';

/** Same result as `systemd-escape --path`, used for .device and .mount unit names. */
export function escapeUnitPath(p: string): string {
  const trimmed = p.replace(/^\/+|\/+$/g, '').replace(/\/+/g, '/');
  if (trimmed === '') return '-';
  return [...Buffer.from(trimmed, 'utf8')]
    .map((byte, index) => {
      const ch = String.fromCharCode(byte);
      if (ch === '/') return '-';
      if (/[A-Za-z0-9:_]/.test(ch) || (ch === '.' && index > 0)) return ch;
      return `\\x${byte.toString(16).padStart(2, '0')}`;
    })
    .join('');
}

export function netDeviceUnit(iface: string): string {
  return `sys-subsystem-net-devices-${escapeUnitPath(iface)}.device`;
}

function rootArgs(root: string): string[] {
  return root === '/' ? [] : [`--root=${root}`];
}

/** `systemctl is-enabled`, which answers with a non-zero exit for disabled units. */
export async function unitState(root: string, unit: string): Promise<string> {
  const result = await $({ quiet: true, nothrow: true })`systemctl ${rootArgs(root)} is-enabled ${unit}`;
  return result.stdout.trim() || 'not-found';
}

export async function systemctl(root: string, verb: string, unit: string): Promise<void> {
  await $({ quiet: true })`systemctl ${rootArgs(root)} ${verb} ${unit}`;
}
