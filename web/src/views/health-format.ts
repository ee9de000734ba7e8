// Number, unit and time formatting for the health dashboard, in the reader's language (Intl).
import { currentLang, fmtDuration, t, type Key } from '../i18n/index.js';
import { en } from '../i18n/en.js';

const nf = (digits: number, extra: Intl.NumberFormatOptions = {}) => new Intl.NumberFormat(currentLang(), { maximumFractionDigits: digits, ...extra });

/** 25.1 → "25.1%" / "25,1 %". */
export const pct = (v: number, digits = 1) => nf(digits, { style: 'percent' }).format(v / 100);
export const celsius = (v: number) => nf(1, { style: 'unit', unit: 'celsius' }).format(v);
export const num = (v: number, digits = 2) => nf(digits).format(v);
export const volts = (v: number) => `${nf(2, { minimumFractionDigits: 2 }).format(v)} V`;
export const amps = (v: number) => `${nf(2, { minimumFractionDigits: 2 }).format(v)} A`;

/** A date and time with seconds: clocks are compared to the second. */
export function clockTime(ms: number): string {
  return new Intl.DateTimeFormat(currentLang(), { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(ms));
}

/** Today's times as "09:48", other days with their date. */
export function when(iso: string | number): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const today = new Date().toDateString() === d.toDateString();
  return new Intl.DateTimeFormat(currentLang(), today ? { timeStyle: 'short' } : { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** "3 d 4 h", "5 h 12 min", "40 s". */
export function uptime(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 86400) return fmtDuration(s);
  const unit = (v: number, u: 'day' | 'hour') => new Intl.NumberFormat(currentLang(), { style: 'unit', unit: u, unitDisplay: 'narrow' }).format(v);
  return `${unit(Math.floor(s / 86400), 'day')} ${unit(Math.floor((s % 86400) / 3600), 'hour')}`;
}

/** "Wed 25" / "mer. 25": Intl alone would order these two as "25 Wed" in English. */
function weekdayDay(d: Date): string {
  const parts = new Intl.DateTimeFormat(currentLang(), { weekday: 'short', day: 'numeric' }).formatToParts(d);
  return `${parts.find((p) => p.type === 'weekday')?.value ?? ''} ${parts.find((p) => p.type === 'day')?.value ?? ''}`.trim();
}

/** A chart's axis time: hours within a day, the weekday at midnight; the legend's has both. */
export function axisTime(sec: number, style: 'short' | 'long'): string {
  const d = new Date(sec * 1000);
  const hm = new Intl.DateTimeFormat(currentLang(), { hour: '2-digit', minute: '2-digit' }).format(d);
  if (style === 'long') return `${weekdayDay(d)}, ${hm}`;
  return d.getHours() === 0 && d.getMinutes() === 0 ? weekdayDay(d) : hm;
}

/** A translation when the dictionary has `key`, else the daemon's own (English) text. */
export function tOr(key: string, fallback: string, params: Record<string, string | number> = {}): string {
  return key in en ? t(key as Key, params) : fallback;
}
