// A disk's figures in words and as a meter, one way for the storage page and the health dashboard (same units, same rounding).
import type { Filesystem, StorageReport } from '../../../daemon/src/api-types.js';
import { h } from '../dom.js';
import { fmtSize, t } from '../i18n/index.js';
import { pct } from './health-format.js';

/** The daemon's one meaning of a disk (daemon/src/storage/disk-space.ts), whichever endpoint sent it. */
export type DiskFigures = Pick<Filesystem, 'sizeBytes' | 'usedBytes' | 'availableBytes' | 'reservedBytes' | 'usedPercent'>;

export const fromStorageReport = (d: NonNullable<StorageReport['disk']>): DiskFigures => ({
  sizeBytes: d.totalBytes,
  usedBytes: d.usedBytes,
  availableBytes: d.freeBytes,
  reservedBytes: d.reservedBytes,
  usedPercent: d.usedPercent,
});

/** "25 % used: 250 GB of 1 TB". */
export const diskUsedText = (d: DiskFigures) => t('diskUsage', { pct: pct(d.usedPercent, 0), used: fmtSize(d.usedBytes), total: fmtSize(d.sizeBytes) });

/** "700 GB free for files (50 GB more kept for the system)". */
export const diskFreeText = (d: DiskFigures) =>
  d.reservedBytes > 0
    ? t('diskFreeReserved', { free: fmtSize(d.availableBytes), reserved: fmtSize(d.reservedBytes) })
    : t('diskFree', { free: fmtSize(d.availableBytes) });

/** The usage meter: low and high are percentages (the alert thresholds on the health page). */
export function diskMeter(d: DiskFigures, low: number, high: number, label: string, id?: string): HTMLMeterElement {
  return h('meter', { id, min: 0, max: 100, low, high, optimum: 0, value: d.usedPercent, 'aria-label': label });
}
