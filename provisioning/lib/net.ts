// IPv4 arithmetic for validating the access-point subnet and DHCP range.
export function parseIPv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  // Leading zeros are refused: some parsers read them as octal.
  if (parts.some((p, i) => p > 255 || (m[i + 1]!.length > 1 && m[i + 1]!.startsWith('0')))) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

export function prefixMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

export interface Subnet {
  network: number;
  broadcast: number;
  mask: number;
}

export function subnetOf(address: number, prefixLength: number): Subnet {
  const mask = prefixMask(prefixLength);
  const network = (address & mask) >>> 0;
  return { network, broadcast: (network | (~mask >>> 0)) >>> 0, mask };
}

/** RFC 1918 private ranges: 10/8, 172.16/12, 192.168/16. */
export function isRfc1918(address: number): boolean {
  const a = address >>> 24;
  const b = (address >>> 16) & 255;
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}
