// The health dashboard's present-state cards: power and battery, CPU, memory and uptime, storage. Unknown readings say why.
import type { Coded, Filesystem, HealthNow, Reading, ThrottleFlags } from '../../../daemon/src/api-types.js';
import { h, type Child } from '../dom.js';
import { fmtSize, t } from '../i18n/index.js';
import { diskFreeText, diskMeter, diskUsedText } from './disk-usage.js';
import { reasonText } from './health-messages.js';
import { amps, celsius, num, pct, uptime, volts } from './health-format.js';

type Tone = 'ok' | 'warn' | 'bad';
interface Shown {
  text: Child;
  tone?: Tone;
  /** Secondary line under the value. */
  extra?: Child;
}

const known = <T>(value: T): Reading<T> => ({ value });
/** Unknown for the same reason as `r` (its code too). */
const unknown = <T>(r: { reason?: string; reasonCode?: Coded }): Reading<T> => ({ value: null, reason: r.reason ?? '', reasonCode: r.reasonCode });

/** One line of a card: the label, then the value, or "Unknown" with the reason on a second line (and as a tooltip). */
export function reading<T>(id: string, label: string, r: Reading<T>, show: (v: T) => Shown): HTMLElement {
  if (r.value === null) {
    const why = reasonText(r);
    return h(
      'div',
      { class: 'reading', 'data-reading': id, 'data-state': 'unknown' },
      h('dt', null, label),
      h('dd', null, h('span', { class: 'value unknown', title: why }, t('health_unknown')), h('span', { class: 'reason' }, why)),
    );
  }
  const s = show(r.value);
  return h(
    'div',
    { class: 'reading', 'data-reading': id, 'data-state': 'known', 'data-tone': s.tone },
    h('dt', null, label),
    h('dd', null, h('span', { class: `value${s.tone ? ` tone-${s.tone}` : ''}` }, s.text), s.extra ? h('span', { class: 'extra' }, s.extra) : null),
  );
}

function card(id: string, title: string, ...rows: Child[]): HTMLElement {
  return h('section', { class: 'card health-card', 'aria-labelledby': `hc-${id}` }, h('h3', { id: `hc-${id}` }, title), h('dl', { class: 'readings' }, rows));
}

/** A meter with its text right above it (the text carries the meaning, the bar the glance). */
function meter(value: number, low: number, high: number, label: string, optimum = 0): HTMLMeterElement {
  return h('meter', { min: 0, max: 100, low, high, optimum, value, 'aria-label': label });
}

const yesNo = (bad: boolean, yes: string, no: string): Shown => ({ text: bad ? yes : no, tone: bad ? 'bad' : 'ok' });

function flagsText(f: ThrottleFlags): string[] {
  const out: string[] = [];
  if (f.armFreqCapped) out.push(t('health_flag_capped'));
  if (f.throttled) out.push(t('health_flag_throttled'));
  if (f.softTempLimit) out.push(t('health_flag_softTemp'));
  return out;
}

export function powerCard(n: HealthNow): HTMLElement {
  const th = n.power.throttled;
  const alarm = n.power.underVoltageAlarm;
  // Either source can say "under-voltage now"; only the firmware word remembers "since boot".
  const uvNow: Reading<boolean> = th.value ? known(th.value.now.underVoltage || alarm.value === true) : alarm.value !== null ? known(alarm.value) : unknown(th);
  const uvBoot: Reading<boolean> = th.value ? known(th.value.sinceBoot.underVoltage) : unknown(th);
  const thNow: Reading<string[]> = th.value ? known(flagsText(th.value.now)) : unknown(th);
  const thBoot: Reading<string[]> = th.value ? known(flagsText(th.value.sinceBoot)) : unknown(th);
  const flags = (list: string[], warn: Tone): Shown =>
    list.length ? { text: t('health_yes_list', { list: list.join(', ') }), tone: warn } : { text: t('health_no'), tone: 'ok' };
  const b = n.battery;
  const batteryRows = b.value
    ? [
        reading('battery-charge', t('health_batteryCharge'), b.value.percent, (v) => ({
          text: pct(v, 0),
          tone: v <= n.thresholds.batteryCriticalPercent ? 'bad' : v <= n.thresholds.batteryLowPercent ? 'warn' : undefined,
          extra: meter(v, n.thresholds.batteryLowPercent + 0.01, 50, t('health_batteryCharge'), 100),
        })),
        reading('battery-charging', t('health_batteryCharging'), b.value.charging, (v) => ({ text: v ? t('health_charging') : t('health_notCharging') })),
        reading('battery-external', t('health_externalPower'), b.value.pluggedIn, (v) => ({ text: v ? t('health_connected') : t('health_notConnected') })),
        reading('battery-voltage', t('health_batteryVoltage'), b.value.voltageV, (v) => ({ text: volts(v) })),
        reading('battery-current', t('health_batteryCurrent'), b.value.currentA, (v) => ({ text: amps(v) })),
      ]
    : [reading('battery', t('health_battery'), b, () => ({ text: '' }))];
  const uvNowRow = reading('under-voltage-now', t('health_underVoltageNow'), uvNow, (v) => yesNo(v, t('health_uvYesNow'), t('health_no')));
  // Without the firmware's word, the lines it would fill share one reason: said once.
  if (th.value === null) {
    const label = alarm.value === null ? t('health_powerFlagsAll') : t('health_powerFlags');
    return card(
      'power',
      t('health_power'),
      batteryRows,
      alarm.value === null ? null : uvNowRow,
      reading('power-flags', label, th, () => ({ text: '' })),
    );
  }
  return card(
    'power',
    t('health_power'),
    batteryRows,
    uvNowRow,
    reading('under-voltage-boot', t('health_underVoltageBoot'), uvBoot, (v) => ({
      ...yesNo(v, t('health_uvYesBoot'), t('health_no')),
      tone: v ? 'warn' : 'ok',
    })),
    reading('throttling-now', t('health_throttlingNow'), thNow, (v) => flags(v, 'warn')),
    reading('throttling-boot', t('health_throttlingBoot'), thBoot, (v) => flags(v, 'warn')),
  );
}

export function cpuCard(n: HealthNow): HTMLElement {
  const th = n.thresholds;
  return card(
    'cpu',
    t('health_cpu'),
    reading('cpu-temp', t('health_temperature'), n.cpu.temperatureC, (v) => ({
      text: celsius(v),
      tone: v >= th.cpuCriticalC ? 'bad' : v >= th.cpuWarnC ? 'warn' : undefined,
      extra: v >= th.cpuWarnC ? t('health_hotHint') : null,
    })),
    reading('cpu-use', t('health_cpuUse'), n.cpu.load.value ? known(n.cpu.load.value.cpuPercent) : unknown<number>(n.cpu.load), (v) => ({
      text: pct(v, 0),
    })),
    reading('load', t('health_load'), n.cpu.load, (v) => ({
      text: `${num(v.load1)} · ${num(v.load5)} · ${num(v.load15)}`,
      extra: t('health_loadHint', { n: v.cores }),
      tone: v.load5 > v.cores * 2 ? 'warn' : undefined,
    })),
  );
}

export function systemCard(n: HealthNow): HTMLElement {
  return card(
    'system',
    t('health_system'),
    reading('memory', t('health_memory'), n.memory, (m) => ({
      text: t('health_percentUsed', { pct: pct(m.usedPercent, 0) }),
      tone: m.usedPercent >= 90 ? 'warn' : undefined,
      extra: [t('health_available', { free: fmtSize(m.availableBytes), total: fmtSize(m.totalBytes) }), meter(m.usedPercent, 80, 90, t('health_memory'))],
    })),
    reading('swap', t('health_swap'), n.memory, (m) => ({
      text: m.swapTotalBytes > 0 ? t('health_swapUsed', { used: fmtSize(m.swapUsedBytes), total: fmtSize(m.swapTotalBytes) }) : t('health_none'),
    })),
    reading('uptime', t('health_uptime'), known(n.uptimeSeconds), (s) => ({ text: uptime(s) })),
    reading('disk-io', t('health_diskIo'), n.storage.io, (io) => ({ text: t('health_ioRate', { r: num(io.readOpsPerSec, 1), w: num(io.writeOpsPerSec, 1) }) })),
  );
}

/** Phones on the Wi-Fi against what the radio holds (about 19 for a Pi 4's own radio with the minimal firmware). */
export function wifiCard(n: HealthNow): HTMLElement {
  return card(
    'wifi',
    t('health_wifi'),
    reading('wifi-clients', t('health_wifiClients'), n.wifi, (w) => {
      if (w.ceiling === null) return { text: t('health_wifiCount', { n: w.connected }), extra: t('health_wifiAdapter', { iface: w.interface }) };
      const share = (100 * w.connected) / w.ceiling;
      return {
        text: t('health_wifiOf', { n: w.connected, max: w.ceiling }),
        tone: w.connected >= w.ceiling ? 'bad' : share >= 80 ? 'warn' : 'ok',
        extra: [
          t(w.radio === 'internal_minimal' ? 'health_wifiInternalMinimal' : 'health_wifiInternalStandard'),
          meter(share, 80, 100, t('health_wifiClients')),
        ],
      };
    }),
  );
}

/** Worded as the storage page words the same disk (disk-usage.ts), plus where it is mounted. */
function usage(fs: Filesystem, warn: number, crit: number, label: string): Shown {
  return {
    text: diskUsedText(fs),
    tone: fs.usedPercent >= crit ? 'bad' : fs.usedPercent >= warn ? 'warn' : undefined,
    extra: [
      h('span', { class: 'free' }, diskFreeText(fs)),
      h('span', { class: 'mount' }, t('health_fsMount', { mount: fs.mount })),
      diskMeter(fs, warn, crit, label),
    ],
  };
}

export function storageCard(n: HealthNow): HTMLElement {
  const st = n.storage;
  const th = n.thresholds;
  const state: Shown =
    st.state === 'mounted'
      ? { text: t('health_ssdMounted'), tone: 'ok' }
      : st.state === 'missing'
        ? { text: t('health_ssdMissing'), tone: 'bad', extra: t('health_ssdMissingHint') }
        : { text: t('health_ssdLocal'), extra: t('health_ssdLocalHint') };
  const sameFs = st.data.value !== null && st.root.value !== null && st.data.value.mount === st.root.value.mount;
  return card(
    'storage',
    t('health_storage'),
    reading('ssd-state', t('health_ssd'), known(st.state), () => state),
    reading('ssd-model', t('health_ssdModel'), st.ssd, (d) => ({
      text: [d.vendor, d.model].filter(Boolean).join(' ') || d.device,
      extra: [d.serial ? t('health_serial', { serial: d.serial }) : null, d.sizeBytes ? fmtSize(d.sizeBytes) : null, d.interface, d.device]
        .filter(Boolean)
        .join(' · '),
    })),
    reading('ssd-usage', t('health_dataUsage'), st.data, (fs) => usage(fs, th.diskWarnPercent, th.diskCriticalPercent, t('health_dataUsage'))),
    reading('sd-usage', t('health_sdUsage'), st.root, (fs) => {
      const u = usage(fs, th.diskWarnPercent, th.diskCriticalPercent, t('health_sdUsage'));
      return sameFs ? { ...u, extra: [u.extra, h('span', { class: 'note' }, t('health_sameFs'))] } : u;
    }),
  );
}
