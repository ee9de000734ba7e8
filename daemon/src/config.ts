// Daemon configuration: parsed once from the environment, typed, frozen; every problem reported at once.
import path from 'node:path';
import type { BatterySource } from './api-types.js';
import { defaultHashThreads } from './services/password-hasher.js';

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly dbPath: string;
  readonly requireMount: boolean;
  readonly logLevel: LogLevel;
  /** Bytes kept free on the data disk: an upload that would eat into them is refused with 507. */
  readonly minFreeBytes: number;
  /** Create an `admin` with a generated password when the database has no user at all. */
  readonly bootstrapAdmin: boolean;
  /** Seconds a shutdown waits for uploads in flight before aborting them. */
  readonly shutdownGraceSeconds: number;
  /** A connection silent this long in both directions is closed (there is no limit on a request's total time). */
  readonly idleTimeoutSeconds: number;
  /** The device's own address on its access point (e.g. 10.42.0.1); '' = no captive-portal host redirect. */
  readonly portalAddress: string;
  /** The device's name, answered by DNS on its network (`homedrive`, `homedrive.local`). */
  readonly hostname: string;
  /** hostapd's configuration, where login cards read the Wi-Fi's name and passphrase (provisioning writes it). */
  readonly hostapdConf: string;
  /** The root helper's socket (provisioning/helper): system readings and changes only root may make. */
  readonly helperSocket: string;
  /** Where an uploaded update bundle waits for the helper's check: beside the database (/var/lib/homedrive/updates). */
  readonly updateDir: string;
  /** Threads that hash and check passwords (bcrypt), off the event loop. */
  readonly hashThreads: number;
  /** Where battery readings come from (health/battery.ts). */
  readonly battery: BatterySource;
  /** host:port of the PiSugar power manager's TCP server. */
  readonly pisugarAddress: string;
  /** Trash older than this many days is purged by the nightly job. */
  readonly trashDays: number;
  /** At or below this charge (%), and not charging, users are warned and the device powers off. */
  readonly batteryCriticalPercent: number;
  /** Seconds between the critical-battery warning to users and the power-off. */
  readonly shutdownWarningSeconds: number;
  /** Command (split on spaces, no shell) that powers the device off cleanly. */
  readonly shutdownCommand: string;
  readonly rebootCommand: string;
  /** Command that sets the clock; "{seconds}" and "{iso}" are replaced by the new time. */
  readonly setClockCommand: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const str = (name: string, fallback: string): string => {
    const v = env[name];
    return v === undefined || v === '' ? fallback : v;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw)) {
      problems.push(`${name} must be a whole number, got "${raw}"`);
      return fallback;
    }
    const n = Number(raw);
    if (n < min || n > max) problems.push(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
    problems.push(`${name} must be 0 or 1, got "${raw}"`);
    return fallback;
  };

  const dataDir = path.resolve(cwd, str('HCD_DATA_DIR', 'var/data'));
  const dbRaw = str('HCD_DB', 'var/hcd.db');
  const dbPath = dbRaw === ':memory:' ? dbRaw : path.resolve(cwd, dbRaw);
  const logLevel = str('HCD_LOG_LEVEL', 'info');
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    problems.push(`HCD_LOG_LEVEL must be one of debug, info, warn, error, got "${logLevel}"`);
  }
  const battery = str('HCD_BATTERY', 'none');
  if (!['none', 'power_supply', 'pisugar', 'ina219'].includes(battery)) {
    problems.push(`HCD_BATTERY must be one of none, power_supply, pisugar, ina219, got "${battery}"`);
  }
  const config: Config = {
    host: str('HCD_HOST', '127.0.0.1'),
    port: int('HCD_PORT', 8080, 0, 65535),
    dataDir,
    dbPath,
    requireMount: bool('HCD_REQUIRE_MOUNT', false),
    logLevel: logLevel as LogLevel,
    minFreeBytes: int('HCD_MIN_FREE_BYTES', 64 * 1024 * 1024, 0, Number.MAX_SAFE_INTEGER),
    bootstrapAdmin: bool('HCD_BOOTSTRAP_ADMIN', true),
    shutdownGraceSeconds: int('HCD_SHUTDOWN_GRACE_SECONDS', 10, 0, 3600),
    idleTimeoutSeconds: int('HCD_IDLE_TIMEOUT_SECONDS', 120, 1, 3600),
    portalAddress: str('HCD_PORTAL_ADDRESS', '').toLowerCase(),
    hostname: str('HCD_HOSTNAME', 'homedrive').toLowerCase(),
    hostapdConf: path.resolve(cwd, str('HCD_HOSTAPD_CONF', '/etc/hostapd/hostapd.conf')),
    helperSocket: path.resolve(cwd, str('HCD_HELPER_SOCKET', '/run/homedrive-helper.sock')),
    updateDir: path.resolve(cwd, str('HCD_UPDATE_DIR', dbPath === ':memory:' ? 'var/updates' : path.join(path.dirname(dbPath), 'updates'))),
    hashThreads: int('HCD_HASH_THREADS', defaultHashThreads(), 1, 64),
    battery: battery as BatterySource,
    pisugarAddress: str('HCD_PISUGAR_ADDRESS', '127.0.0.1:8423'),
    trashDays: int('HCD_TRASH_DAYS', 30, 1, 3650),
    batteryCriticalPercent: int('HCD_BATTERY_CRITICAL_PERCENT', 5, 0, 50),
    shutdownWarningSeconds: int('HCD_SHUTDOWN_WARNING_SECONDS', 60, 0, 3600),
    shutdownCommand: str('HCD_SHUTDOWN_COMMAND', 'systemctl poweroff'),
    rebootCommand: str('HCD_REBOOT_COMMAND', 'systemctl reboot'),
    // Both go through D-Bus (logind, timedated) and a polkit rule for the service user: the unit's
    // NoNewPrivileges and ProtectClock rule out sudo and setting the clock from the service itself.
    setClockCommand: str('HCD_SET_CLOCK_COMMAND', 'timedatectl set-time @{seconds}'),
  };
  if (!/^[^:\s]+:\d{1,5}$/.test(config.pisugarAddress)) problems.push(`HCD_PISUGAR_ADDRESS must be host:port, got "${config.pisugarAddress}"`);
  if (dbPath !== ':memory:' && isInside(dataDir, dbPath) && !isInside(path.join(dataDir, '.hcd'), dbPath)) {
    problems.push('HCD_DB must not be inside a space of HCD_DATA_DIR (it would show up as a user file)');
  }
  // Both end up in Location headers and in the landing page: only plain names and IPv4 addresses.
  if (config.portalAddress !== '' && !HOST_NAME.test(config.portalAddress)) {
    problems.push(`HCD_PORTAL_ADDRESS must be an IPv4 address or a host name, got "${config.portalAddress}"`);
  }
  if (!HOST_NAME.test(config.hostname)) problems.push(`HCD_HOSTNAME must be a host name (letters, digits, '-', '.'), got "${config.hostname}"`);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** RFC 1123 labels separated by dots (an IPv4 address matches too). */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
