// Daemon configuration: parsed once from the environment, typed, frozen; every problem reported at once.
import path from 'node:path';

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
  };
  if (dbPath !== ':memory:' && isInside(dataDir, dbPath) && !isInside(path.join(dataDir, '.hcd'), dbPath)) {
    problems.push('HCD_DB must not be inside a space of HCD_DATA_DIR (it would show up as a user file)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
