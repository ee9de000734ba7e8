// Lists of people pasted by an administrator (one name a line, or CSV as a school's software exports it),
// and the usernames made from their real names. Pure functions: no database, no HTTP.
import { ROLES, type Role } from '../policy/policy.js';

/** The most accounts one import or "generate" makes: bcrypt on a Pi takes ~0.45 s per password. */
export const MAX_IMPORT = 200;
export const MAX_NAME_CHARS = 100;
export const MAX_GROUP_CHARS = 64;

/** One line of the list as read: its number (1-based, blank lines counted) and its fields, unchecked. */
export interface RosterRow {
  line: number;
  name: string;
  /** From a username column, when the export has one. */
  username?: string;
  role?: string;
  group?: string;
}

export interface ParsedRoster {
  format: 'list' | 'csv';
  separator: ';' | ',' | '\t' | null;
  header: boolean;
  rows: RosterRow[];
  /** Lines that cannot be read at all (an unclosed quote, a header without a name column). */
  errors: { line: number; message: string }[];
}

const SPECIAL_LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ð: 'd', ł: 'l', þ: 'th', ı: 'i', ŀ: 'l' };

/** Lowercase ASCII: accents removed ("Élodie" → "elodie"), ligatures spelled out ("Œ" → "oe"). */
export function foldAccents(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[ßæœøđðłþıŀ]/g, (ch) => SPECIAL_LETTERS[ch] ?? ch);
}

/**
 * The username a real name suggests, within USERNAME_RULE (accounts.ts), or null if none can be made
 * (a name with no Latin letter or digit). "Élodie Martin" → "elodie-martin", "N'Diaye Aïssa" → "ndiaye-aissa".
 */
export function usernameFromName(name: string, max = 32): string | null {
  const base = foldAccents(name)
    .replace(/['’`ʼ]/g, '') // O'Brien → obrien, not o-brien
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const cut = base.slice(0, max).replace(/-+$/, '');
  return cut.length >= 2 ? cut : null;
}

/**
 * The first of `base`, `base-2`, `base-3`… that `taken` does not hold (the base shortened when the
 * suffix would pass 32 characters).
 */
export function uniqueUsername(base: string, taken: (name: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${base.slice(0, 32 - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken(candidate)) return candidate;
  }
}

/** A role as written in an export: the API's names, or their French words, any case, accents or not. */
export function roleFromText(raw: string): Role | null {
  const k = foldAccents(raw.trim());
  if ((ROLES as readonly string[]).includes(k)) return k as Role;
  return ({ utilisateur: 'user', avance: 'advanced', administrateur: 'admin' } as const)[k as 'utilisateur'] ?? null;
}

/** A group's name as the admin wrote it: spaces collapsed, no control characters, 1 to 64 characters. */
export function cleanGroupName(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  // eslint-disable-next-line no-control-regex
  const s = raw
    .replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .normalize('NFC');
  return s.length >= 1 && [...s].length <= MAX_GROUP_CHARS ? s : null;
}

/** Splits one CSV line (RFC 4180 quoting: "a;b", "say ""hi"""); null if a quote is left open. */
export function splitCsvLine(line: string, sep: string): string[] | null {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') ((cur += '"'), (i += 2));
      else if (ch === '"') ((quoted = false), i++);
      else ((cur += ch), i++);
    } else if (ch === '"' && cur.trim() === '') ((quoted = true), (cur = ''), i++);
    else if (ch === sep) (out.push(cur), (cur = ''), i++);
    else ((cur += ch), i++);
  }
  if (quoted) return null;
  out.push(cur);
  return out.map((f) => f.trim());
}

type Column = 'name' | 'first' | 'last' | 'username' | 'role' | 'group';

const HEADERS: Record<Column, readonly string[]> = {
  username: ['username', 'identifiant', 'login'],
  first: ['prenom', 'prenoms', 'firstname', 'givenname', 'prenomeleve', 'prenomdeleleve'],
  last: ['nomdefamille', 'lastname', 'surname', 'familyname', 'nomeleve', 'nomdeleleve'],
  name: ['name', 'nom', 'fullname', 'nomcomplet', 'eleve', 'student', 'pupil', 'nomprenom', 'nometprenom', 'prenomnom', 'displayname'],
  role: ['role', 'profil', 'profile'],
  group: ['group', 'groups', 'groupe', 'groupes', 'classe', 'class', 'team', 'equipe', 'division'],
};

/** What a header cell names, by its folded letters only ("Prénom élève" → first), exactly: never a pupil's name. */
function columnOf(cell: string, hasFirst: boolean): Column | null {
  const k = foldAccents(cell).replace(/[^a-z]/g, '');
  // "Nom" is the family name beside a "Prénom" column, the whole name otherwise.
  if (k === 'nom') return hasFirst ? 'last' : 'name';
  for (const [col, names] of Object.entries(HEADERS)) if (names.includes(k)) return col as Column;
  return null;
}

/**
 * Reads a pasted list: UTF-8 text, a BOM or not, CRLF or LF. One name a line, or CSV separated by
 * tabs (a spreadsheet's copy), ";" (a French spreadsheet's export) or ",", with an optional header
 * naming the columns (name, or first and last name; role; group; username: in English or French, other
 * columns ignored). Without a header the columns are name, role, group in that order. Blank lines are skipped.
 */
export function parseRoster(text: string): ParsedRoster {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const first = lines.findIndex((l) => l.trim() !== '');
  const result: ParsedRoster = { format: 'list', separator: null, header: false, rows: [], errors: [] };
  if (first < 0) return result;
  const sample = lines[first]!;
  const sep = sample.includes('\t') ? '\t' : sample.includes(';') ? ';' : sample.includes(',') ? ',' : null;

  let columns: (Column | null)[] | null = null;
  let start = first;
  const headCells = splitCsvLine(sample, sep ?? '\u0000');
  if (headCells) {
    const hasFirst = headCells.some((c) => columnOf(c, false) === 'first');
    const cols = headCells.map((c) => columnOf(c, hasFirst));
    // A header: its cells name known columns, one of which gives the name. ("Name" alone on the first line
    // of a plain list is a header too; a pupil called "Name" would be a rare thing.)
    if (cols.some((c) => c === 'name' || c === 'first' || c === 'last' || c === 'username')) {
      columns = cols;
      start = first + 1;
      result.header = true;
    } else if (cols.some((c) => c !== null)) {
      result.errors.push({ line: first + 1, message: 'The header row has no name column (name, nom, prénom…).' });
      return result;
    }
  }
  if (sep !== null) ((result.format = 'csv'), (result.separator = sep));
  if (columns === null) columns = sep === null ? ['name'] : ['name', 'role', 'group'];

  for (let i = start; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const cells = sep === null ? [raw.trim()] : splitCsvLine(raw, sep);
    if (cells === null) {
      result.errors.push({ line: i + 1, message: 'A quote (") is opened and never closed.' });
      continue;
    }
    const get = (col: Column) => {
      const at = columns.indexOf(col);
      return at >= 0 && at < cells.length ? cells[at]! : '';
    };
    if (!result.header && sep !== null && cells.length > 3) {
      result.errors.push({ line: i + 1, message: `${cells.length} columns where at most 3 are expected (name, role, group): add a header row naming them.` });
      continue;
    }
    const name = get('name') || [get('first'), get('last')].filter((s) => s !== '').join(' ');
    const row: RosterRow = { line: i + 1, name: name.replace(/\s+/g, ' ').trim() };
    if (get('username')) row.username = get('username');
    if (get('role')) row.role = get('role');
    if (get('group')) row.group = get('group');
    result.rows.push(row);
  }
  return result;
}
