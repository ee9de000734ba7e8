// Structured logs that read well in journald: one line per event, logfmt fields, and a
// syslog priority prefix ("<6>") when stdout is the journal so `journalctl -p` filters by level.
import type { LogLevel } from './config.js';

const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
// sd-daemon(3) priorities: 7 debug, 6 info, 4 warning, 3 err.
const SYSLOG: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

export function formatValue(v: unknown): string {
  if (v instanceof Error) v = v.message;
  if (v === undefined || v === null) return '-';
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}

export function createLogger(opts: {
  level?: LogLevel;
  journal?: boolean;
  write?: (line: string) => void;
  base?: Fields;
} = {}): Logger {
  const min = LEVELS[opts.level ?? 'info'];
  const journal = opts.journal ?? Boolean(process.env.JOURNAL_STREAM);
  const write = opts.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const make = (base: Fields): Logger => {
    const emit = (level: LogLevel, msg: string, fields?: Fields) => {
      if (LEVELS[level] < min) return;
      const all = { ...base, ...fields };
      const tail = Object.entries(all)
        .map(([k, v]) => `${k}=${formatValue(v)}`)
        .join(' ');
      const text = tail ? `${msg} ${tail}` : msg;
      // journald adds its own timestamp; a terminal needs one.
      write(journal ? `<${SYSLOG[level]}>${text}` : `${new Date().toISOString()} ${level.toUpperCase()} ${text}`);
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (f) => make({ ...base, ...f }),
    };
  };
  return make(opts.base ?? {});
}

export const silentLogger: Logger = createLogger({ level: 'error', write: () => {} });
