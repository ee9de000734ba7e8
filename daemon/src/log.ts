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

/** Characters that would forge or hide parts of a log line: controls (C0, DEL, C1), line separators, bidi overrides. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]/g;
/** A field longer than this is cut: a log line is for reading, and the SD card wears. */
export const MAX_FIELD_CHARS = 1000;

export function formatValue(v: unknown): string {
  if (v instanceof Error) v = v.message;
  if (v === undefined || v === null) return '-';
  let s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  if (s.length > MAX_FIELD_CHARS) s = `${s.slice(0, MAX_FIELD_CHARS)}…(${s.length} chars)`;
  if (/^[^\s"=]+$/.test(s) && !new RegExp(UNSAFE.source).test(s)) return s;
  return JSON.stringify(s).replace(UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function createLogger(
  opts: {
    level?: LogLevel;
    journal?: boolean;
    write?: (line: string) => void;
    base?: Fields;
  } = {},
): Logger {
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
