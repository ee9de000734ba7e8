// The provisioning configuration: schema, defaults, and validation that names every problem at once.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CHANNELS_1_TO_11_ONLY, COUNTRY_CODES } from './lib/countries.js';
import { isRfc1918, parseIPv4, subnetOf } from './lib/net.js';

export const FIRMWARE_VARIANTS = ['minimal', 'standard'] as const;
export const BANDS = ['2.4GHz', '5GHz'] as const;
// UNII-1 only: no DFS radar detection (the "minimal" firmware has none) and allowed almost everywhere.
export const CHANNELS_5GHZ = [36, 40, 44, 48] as const;

export interface ConfigProblem {
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `invalid provisioning configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.path || '(top level)'}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

const ipv4 = z.string().refine((v) => parseIPv4(v) !== null, 'must be a dotted IPv4 address such as 10.42.0.1');

const TIME_ZONES = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC']);

const schema = z.strictObject({
  hostname: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be 1-63 lowercase letters, digits or inner hyphens (it becomes <hostname>.local)')
    .default('homedrive'),
  timezone: z
    .string()
    .refine((v) => TIME_ZONES.has(v), 'must be an IANA time zone such as Europe/Paris or UTC')
    .default('UTC'),
  // A missing "wifi" section is reported as its missing country rather than as a missing object.
  wifi: z.preprocess(
    (v) => v ?? {},
    z.strictObject({
      // wlan0 is the Pi's internal radio; a USB adapter (wlan1, ...) carries larger groups.
      interface: z
        .string()
        .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/, 'must be a network interface name (at most 15 characters) such as wlan0')
        .default('wlan0'),
      ssid: z
        .string()
        .min(1, 'must not be empty')
        .refine((v) => Buffer.byteLength(v, 'utf8') <= 32, 'must be at most 32 bytes in UTF-8 (IEEE 802.11 limit)')
        .refine((v) => !/\p{Cc}/u.test(v), 'must not contain control characters')
        .default('HomeDrive'),
      // null or empty: an open network (the captive portal still works; file access needs an account).
      passphrase: z
        .string()
        .nullable()
        .transform((v) => (v === '' ? null : v))
        .refine((v) => v === null || (v.length >= 8 && v.length <= 63), 'a WPA2 passphrase must have 8 to 63 characters (or be empty for an open network)')
        .refine((v) => v === null || /^[\x20-\x7e]*$/.test(v), 'a WPA2 passphrase may only use printable ASCII characters')
        .default(null),
      country: z
        .string({ error: (issue) => (issue.input === undefined ? 'is required: the radio stays off without a country code' : 'must be a string') })
        .transform((v) => v.trim().toUpperCase())
        .refine((v) => COUNTRY_CODES.has(v), 'must be an ISO 3166-1 two-letter country code such as FR'),
      band: z.enum(BANDS, { error: `must be one of ${BANDS.join(', ')}` }).default('2.4GHz'),
      channel: z.number().int('must be a whole number').optional(),
      firmware: z.enum(FIRMWARE_VARIANTS, { error: `unknown firmware variant: must be one of ${FIRMWARE_VARIANTS.join(', ')}` }).default('minimal'),
      // Phones on the AP talk to the Pi only, never to each other.
      isolateClients: z.boolean().default(true),
    }),
  ),
  network: z
    .strictObject({
      address: ipv4
        .refine((v) => {
          const a = parseIPv4(v);
          return a === null || isRfc1918(a);
        }, 'must be a private RFC 1918 address (10/8, 172.16/12 or 192.168/16)')
        .default('10.42.0.1'),
      prefixLength: z.number().int().min(8, 'must be between 8 and 30').max(30, 'must be between 8 and 30').default(24),
      dhcpStart: ipv4.default('10.42.0.10'),
      dhcpEnd: ipv4.default('10.42.0.250'),
      leaseTime: z
        .string()
        .regex(/^\d+[mhd]$/, 'must look like 30m, 12h or 1d')
        .default('12h'),
    })
    .prefault({}),
  storage: z
    .strictObject({
      // Short, so a boot without the SSD reaches the portal quickly.
      deviceTimeoutSec: z.number().int().min(1, 'must be 1-120 seconds').max(120, 'must be 1-120 seconds').default(10),
    })
    .prefault({}),
  journal: z
    .strictObject({
      runtimeMaxUse: z
        .string()
        .regex(/^\d+[KMG]$/, 'must look like 32M')
        .default('32M'),
    })
    .prefault({}),
});

export type ConfigInput = z.input<typeof schema>;
export type Config = z.output<typeof schema>;

/** The channel hostapd uses: the configured one or the band's default. */
export function effectiveChannel(config: Config): number {
  return config.wifi.channel ?? (config.wifi.band === '5GHz' ? 36 : 6);
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

function crossChecks(config: Config, countryKnown = true): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { wifi, network } = config;
  const channel = effectiveChannel(config);
  if (wifi.band === '2.4GHz') {
    const max = CHANNELS_1_TO_11_ONLY.has(wifi.country) ? 11 : 13;
    if (channel < 1 || channel > max) {
      problems.push({ path: 'wifi.channel', message: `2.4GHz channel must be 1-${max}${countryKnown ? ` in ${wifi.country}` : ''}` });
    }
  } else if (!(CHANNELS_5GHZ as readonly number[]).includes(channel)) {
    problems.push({ path: 'wifi.channel', message: `5GHz channel must be one of ${CHANNELS_5GHZ.join(', ')} (no DFS channels)` });
  }
  const address = parseIPv4(network.address)!;
  const start = parseIPv4(network.dhcpStart)!;
  const end = parseIPv4(network.dhcpEnd)!;
  const subnet = subnetOf(address, network.prefixLength);
  if (address === subnet.network || address === subnet.broadcast) {
    problems.push({ path: 'network.address', message: `is the network or broadcast address of its /${network.prefixLength} subnet` });
  }
  for (const [key, value] of [
    ['dhcpStart', start],
    ['dhcpEnd', end],
  ] as const) {
    if ((value & subnet.mask) >>> 0 !== subnet.network || value === subnet.network || value === subnet.broadcast) {
      problems.push({ path: `network.${key}`, message: `must be a host address inside ${network.address}/${network.prefixLength}` });
    }
  }
  if (start > end) problems.push({ path: 'network.dhcpEnd', message: 'must not come before dhcpStart' });
  else if (address >= start && address <= end) {
    problems.push({ path: 'network.address', message: 'must lie outside the DHCP range' });
  }
  return problems;
}

/**
 * Validates a raw configuration. Field problems come from the schema; the checks that relate
 * several fields (channel vs band and country, the DHCP range vs the subnet) run on a copy whose
 * invalid fields are replaced by defaults, so that they are reported in the same pass.
 */
export function validateConfig(raw: unknown): { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] } {
  const parsed = schema.safeParse(raw);
  if (parsed.success) {
    const problems = crossChecks(parsed.data);
    return problems.length === 0 ? { ok: true, config: deepFreeze(parsed.data) } : { ok: false, problems };
  }
  const problems: ConfigProblem[] = parsed.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: issuePath([...issue.path, key]), message: 'unknown setting (a typo?)' }))
      : [{ path: issuePath(issue.path), message: issue.message }],
  );
  const bad = new Set(problems.map((p) => p.path));
  const patched = withoutPaths(raw, bad);
  const retry = schema.safeParse(patched);
  if (retry.success) {
    for (const p of crossChecks(retry.data, !bad.has('wifi.country'))) {
      // A cross check is only meaningful when the fields it reads were valid.
      if (!bad.has(p.path) && !involvesBadField(p.path, bad)) problems.push(p);
    }
  }
  return { ok: false, problems };
}

function involvesBadField(path: string, bad: Set<string>): boolean {
  const related: Record<string, string[]> = {
    'wifi.channel': ['wifi.band', 'wifi.channel'],
    'network.address': ['network.address', 'network.prefixLength', 'network.dhcpStart', 'network.dhcpEnd'],
    'network.dhcpStart': ['network.address', 'network.prefixLength', 'network.dhcpStart'],
    'network.dhcpEnd': ['network.address', 'network.prefixLength', 'network.dhcpStart', 'network.dhcpEnd'],
  };
  return (related[path] ?? []).some((p) => bad.has(p));
}

/** Deletes the invalid fields so that defaults fill them; a missing country becomes a neutral one. */
function withoutPaths(raw: unknown, paths: Set<string>): unknown {
  if (typeof raw !== 'object' || raw === null) return { wifi: { country: 'FR' } };
  const copy = structuredClone(raw) as Record<string, unknown>;
  for (const path of paths) {
    const keys = path.split('.');
    let node: unknown = copy;
    for (const key of keys.slice(0, -1)) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    if (typeof node === 'object' && node !== null) delete (node as Record<string, unknown>)[keys.at(-1)!];
  }
  const wifi = copy['wifi'];
  if (typeof wifi !== 'object' || wifi === null) copy['wifi'] = { country: 'FR' };
  else if ((wifi as Record<string, unknown>)['country'] === undefined) (wifi as Record<string, unknown>)['country'] = 'FR';
  return copy;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export function parseConfig(raw: unknown): Config {
  const result = validateConfig(raw);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

export async function loadConfigFile(file: string): Promise<Config> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError([{ path: '', message: `cannot read ${file} as JSON: ${(error as Error).message}` }]);
  }
  return parseConfig(raw);
}
