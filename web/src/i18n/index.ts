// The reader's language (from navigator.languages, switchable, persisted) and Intl formatting in it.
import { en, type Dict } from './en.js';
import { fr } from './fr.js';

export type Lang = 'en' | 'fr';
export type Key = keyof Dict;
export const LANGS: readonly Lang[] = ['en', 'fr'];
const DICTS: Record<Lang, Dict> = { en, fr };
const STORAGE_KEY = 'hcd.lang';

function storedLang(): Lang | null {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return v === 'en' || v === 'fr' ? v : null;
  } catch {
    return null; // storage can be disabled (private mode, captive sheets)
  }
}

export function detectLang(languages: readonly string[] = navigator.languages ?? [navigator.language]): Lang {
  for (const l of languages) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'fr' || base === 'en') return base;
  }
  return 'en';
}

let lang: Lang = storedLang() ?? detectLang();
const listeners = new Set<() => void>();

export const currentLang = (): Lang => lang;

export function setLang(l: Lang): void {
  lang = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    /* not persisted; still switched for this page */
  }
  document.documentElement.lang = l;
  for (const f of listeners) f();
}

export function onLangChange(f: () => void): void {
  listeners.add(f);
}

/**
 * A translated string; `{name}` placeholders are filled from `params`. A value "one|other" is a
 * plural chosen by Intl.PluralRules on `params.n` (French counts 0 as singular, English does not);
 * "zero|one|other" words 0 apart ("aucun fichier", "no file").
 */
export function t(key: Key, params: Record<string, string | number> = {}): string {
  let s: string = DICTS[lang][key] ?? en[key] ?? key;
  if (s.includes('|') && typeof params.n === 'number') {
    const forms = s.split('|');
    const [one, other] = forms.slice(-2) as [string, string];
    s = forms.length === 3 && params.n === 0 ? forms[0]! : new Intl.PluralRules(lang).select(params.n) === 'one' ? one : other;
  }
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? (typeof params[k] === 'number' ? fmtNumber(params[k] as number) : String(params[k])) : m));
}

export const fmtNumber = (n: number) => new Intl.NumberFormat(lang).format(n);

const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;
/** 1.2 MB / 1,2 Mo: decimal units, as disks and phones count them. */
export function fmtSize(bytes: number): string {
  let i = 0;
  let v = bytes;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return new Intl.NumberFormat(lang, {
    style: 'unit',
    unit: UNITS[i],
    unitDisplay: i === 0 ? 'long' : 'short',
    maximumFractionDigits: v < 10 && i > 0 ? 1 : 0,
  }).format(v);
}

export function fmtDate(iso: string | number): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** "1 min 20 s": whole seconds, at most two units. */
export function fmtDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const unit = (v: number, u: 'hour' | 'minute' | 'second') => new Intl.NumberFormat(lang, { style: 'unit', unit: u, unitDisplay: 'narrow' }).format(v);
  if (s < 60) return unit(s, 'second');
  if (s < 3600) return `${unit(Math.floor(s / 60), 'minute')} ${unit(s % 60, 'second')}`;
  return `${unit(Math.floor(s / 3600), 'hour')} ${unit(Math.floor((s % 3600) / 60), 'minute')}`;
}

export const fmtSpeed = (bytesPerSecond: number) => t('perSecond', { size: fmtSize(bytesPerSecond) });
