// The "Device" tab's settings card: the Wi-Fi's name, passphrase, country, band and channel, the
// hostname and the time zone. A change that can cut people off is applied, then must be confirmed
// from the new network within the delay, or the previous settings come back by themselves (like a
// display-resolution change): the card counts down and offers the confirmation once the drive
// answers again.
import type { DeviceSettingsApplied, DeviceSettingsChange, DeviceSettingsResponse, PendingSettings } from '../../../daemon/src/api-types.js';
import { api, ApiError } from '../api.js';
import { h, replace } from '../dom.js';
import { currentLang, t } from '../i18n/index.js';
import { confirmDialog, errorText } from './dialogs.js';

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The same limits as provisioning's schema, said in the reader's language before the drive is asked. */
function localProblems(ssid: string, open: boolean, pass: string, hostname: string): string[] {
  const out: string[] = [];
  if (ssid === '') out.push(t('setSsidEmpty'));
  else if (new TextEncoder().encode(ssid).length > 32) out.push(t('setSsidLong'));
  if (!open && (pass.length < 8 || pass.length > 63)) out.push(t('setPassLength'));
  else if (!open && !/^[\x20-\x7e]*$/.test(pass)) out.push(t('setPassAscii'));
  if (!HOSTNAME.test(hostname)) out.push(t('setHostnameBad'));
  return out;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function settingsCard(): { el: HTMLElement; stop: () => void } {
  const ssid = h('input', { id: 'set-ssid', autocomplete: 'off', autocapitalize: 'none', spellcheck: false, maxlength: 32 });
  const open = h('input', { id: 'set-open', type: 'checkbox' });
  const pass = h('input', { id: 'set-pass', autocomplete: 'off', autocapitalize: 'none', spellcheck: false, maxlength: 63, class: 'mono' });
  const passField = h('div', { class: 'field' }, h('label', { for: 'set-pass' }, t('setPass')), pass);
  const country = h('select', { id: 'set-country' });
  const band = h('select', { id: 'set-band' });
  const channel = h('select', { id: 'set-channel' });
  const hostname = h('input', { id: 'set-hostname', autocomplete: 'off', autocapitalize: 'none', spellcheck: false, maxlength: 63 });
  const hostHint = h('p', { class: 'hint', id: 'set-hostname-hint' });
  const tz = h('input', { id: 'set-tz', autocomplete: 'off', spellcheck: false, list: 'set-tz-list' });
  const tzList = h('datalist', { id: 'set-tz-list' });
  const apply = h('button', { type: 'submit', class: 'btn primary', id: 'set-apply' }, t('setApply'));
  const msg = h('p', { role: 'alert', class: 'error', id: 'set-msg' });
  const pendingBox = h('div', { class: 'stack notice-box', id: 'settings-pending', role: 'status', hidden: true });
  const last = h('p', { class: 'hint', id: 'settings-last' });
  const body = h('div', { class: 'stack', hidden: true });

  let current: DeviceSettingsResponse | null = null;
  let pending: PendingSettings | null = null;
  /** When the last answer came, to count down between polls. */
  let pendingAt = 0;
  let unreachable = false;
  let poll: number | undefined;
  let tick: number | undefined;

  const countries = (r: DeviceSettingsResponse) => {
    const names = new Intl.DisplayNames([currentLang()], { type: 'region' });
    const list = r.choices.countries.map((c) => ({ c, name: names.of(c) ?? c })).sort((a, b) => a.name.localeCompare(b.name, currentLang()));
    replace(country, ...list.map(({ c, name }) => h('option', { value: c }, `${name} (${c})`)));
  };
  const channels = () => {
    if (!current) return;
    const keep = channel.value;
    const five = band.value === '5GHz';
    const max = current.choices.countries1To11.includes(country.value) ? 11 : 13;
    const list = five ? current.choices.channels5GHz : Array.from({ length: max }, (_, i) => i + 1);
    replace(channel, h('option', { value: '' }, t('setChannelAuto', { n: five ? 36 : 6 })), ...list.map((n) => h('option', { value: String(n) }, String(n))));
    channel.value = list.map(String).includes(keep) ? keep : '';
  };
  const showHost = () => (hostHint.textContent = t('setHostnameHint', { url: `http://${hostname.value.trim().toLowerCase() || '…'}.local` }));
  const fill = (r: DeviceSettingsResponse) => {
    const w = r.current.wifi;
    countries(r);
    replace(band, ...r.choices.bands.map((b) => h('option', { value: b }, b === '5GHz' ? '5 GHz' : t('setBand24'))));
    ssid.value = w.ssid;
    open.checked = w.passphrase === null;
    pass.value = w.passphrase ?? '';
    passField.hidden = open.checked;
    country.value = w.country;
    band.value = w.band;
    channels();
    channel.value = w.channel === null ? '' : String(w.channel);
    hostname.value = r.current.hostname;
    tz.value = r.current.timezone;
    showHost();
  };

  const showLast = (r: DeviceSettingsResponse) => {
    const l = r.last;
    last.textContent = l
      ? t(`setLast_${l.outcome}`, {
          when: new Date(l.at).toLocaleString(currentLang()),
          what: l.changed.map((k) => t(`setKey_${k.replace('.', '_')}` as never)).join(', '),
        }) + (l.error ? ` ${t('setLastError', { why: l.error })}` : '')
      : '';
  };

  const confirmBtn = h('button', { type: 'button', class: 'btn primary', id: 'settings-confirm' }, t('setConfirm'));
  const showPending = () => {
    pendingBox.hidden = !pending;
    apply.disabled = pending?.state === 'applying';
    if (!pending) return replace(pendingBox);
    const left = pending.secondsLeft === null ? null : pending.secondsLeft - (Date.now() - pendingAt) / 1000;
    const lines: (HTMLElement | string)[] = [];
    if (pending.state === 'applying') lines.push(h('p', null, t('setApplying')));
    else if (unreachable) lines.push(h('p', null, t('setUnreachable', { ssid: ssid.value })));
    else lines.push(h('p', null, t('setApplied')));
    if (left !== null) {
      lines.push(
        h('p', { id: 'settings-countdown' }, t('setCountdown', { time: clock(left), ssid: pending.previous.ssid, hostname: pending.previous.hostname })),
      );
    }
    confirmBtn.hidden = pending.state !== 'applied' || unreachable || left === null;
    replace(pendingBox, ...lines, confirmBtn);
  };

  const load = async (refill: boolean) => {
    try {
      const r = await api<DeviceSettingsResponse>('GET', '/api/admin/device/settings');
      const wasUnreachable = unreachable;
      unreachable = false;
      const first = current === null;
      current = r;
      // A change that ended (confirmed, put back, failed): the form shows what is in use now.
      const ended = pending !== null && r.pending === null;
      if (first || refill || wasUnreachable || ended) fill(r);
      body.hidden = false;
      pending = r.pending;
      pendingAt = Date.now();
      showLast(r);
      showPending();
      schedule();
    } catch (err) {
      // While the Wi-Fi restarts (or the browser moves to the new network) the drive cannot be reached.
      if (pending && err instanceof ApiError && (err.code === 'network' || err.status >= 502)) {
        unreachable = true;
        showPending();
        schedule();
        return;
      }
      msg.textContent = errorText(err);
    }
  };
  /** Polls only while a change is in flight: each answer starts a process on the drive's side. */
  const schedule = () => {
    window.clearTimeout(poll);
    window.clearInterval(tick);
    if (!pending) return;
    poll = window.setTimeout(() => void load(false), 2000);
    tick = window.setInterval(showPending, 1000);
  };

  const change = (): DeviceSettingsChange => {
    if (!current) return {};
    const c = current.current;
    const out: DeviceSettingsChange = {};
    const wifi: NonNullable<DeviceSettingsChange['wifi']> = {};
    if (ssid.value !== c.wifi.ssid) wifi.ssid = ssid.value;
    const newPass = open.checked ? null : pass.value;
    if (newPass !== c.wifi.passphrase) wifi.passphrase = newPass;
    if (country.value !== c.wifi.country) wifi.country = country.value;
    if (band.value !== c.wifi.band) wifi.band = band.value;
    const ch = channel.value === '' ? null : Number(channel.value);
    if (ch !== c.wifi.channel) wifi.channel = ch;
    if (Object.keys(wifi).length) out.wifi = wifi;
    const host = hostname.value.trim().toLowerCase();
    if (host !== c.hostname) out.hostname = host;
    if (tz.value.trim() !== c.timezone) out.timezone = tz.value.trim();
    return out;
  };

  const form = h(
    'form',
    { class: 'card stack', 'aria-labelledby': 'settings-title', id: 'settings-form', novalidate: true },
    h('h3', { id: 'settings-title' }, t('settings')),
    h('p', { class: 'hint' }, t('settingsHelp')),
    pendingBox,
    msg,
    body,
    last,
  );
  // The fields appear once the drive has said what they hold (without the root helper: only why not).
  replace(
    body,
    h(
      'fieldset',
      { class: 'stack' },
      h('legend', null, t('setWifi')),
      h('div', { class: 'field' }, h('label', { for: 'set-ssid' }, t('setSsid')), ssid),
      h('label', { for: 'set-open', class: 'check' }, open, ' ', t('setOpen')),
      passField,
      h('div', { class: 'field' }, h('label', { for: 'set-country' }, t('setCountry')), country),
      h('div', { class: 'field' }, h('label', { for: 'set-band' }, t('setBand')), band),
      h('div', { class: 'field' }, h('label', { for: 'set-channel' }, t('setChannel')), channel),
    ),
    h(
      'fieldset',
      { class: 'stack' },
      h('legend', null, t('setSystem')),
      h('div', { class: 'field' }, h('label', { for: 'set-hostname' }, t('setHostname')), hostname),
      hostHint,
      h('div', { class: 'field' }, h('label', { for: 'set-tz' }, t('setTimezone')), tz, tzList),
    ),
    h('div', { class: 'row-actions wrap' }, apply),
  );
  open.addEventListener('change', () => (passField.hidden = open.checked));
  band.addEventListener('change', channels);
  country.addEventListener('change', channels);
  hostname.addEventListener('input', showHost);
  tz.addEventListener('focus', () => {
    if (tzList.childElementCount) return;
    const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    replace(tzList, ...zones.map((z) => h('option', { value: z })));
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.textContent = '';
    const problems = localProblems(ssid.value, open.checked, pass.value, hostname.value.trim().toLowerCase());
    if (problems.length) {
      msg.textContent = problems.join(' ');
      return;
    }
    const body = change();
    if (!body.wifi && body.hostname === undefined && body.timezone === undefined) {
      msg.textContent = t('setNothing');
      return;
    }
    if (body.wifi || body.hostname !== undefined) {
      const seconds = current?.choices.revertSeconds.default ?? 120;
      const ok = await confirmDialog(
        t('setConfirmTitle'),
        t(body.wifi ? 'setWarnWifi' : 'setWarnHost', {
          ssid: ssid.value,
          minutes: Math.round(seconds / 60),
          url: `http://${hostname.value.trim().toLowerCase()}.local`,
        }),
        t('setApply'),
        true,
      );
      if (!ok) return;
    }
    try {
      const r = await api<DeviceSettingsApplied>('PUT', '/api/admin/device/settings', body);
      pending = r.pending;
      pendingAt = Date.now();
      if (current && r.pending) current = { ...current, pending: r.pending };
      showPending();
      // On a phone the form is taller than the screen: the countdown and its button must be in sight.
      pendingBox.scrollIntoView({ block: 'center' });
      schedule();
      if (!r.pending) void load(true);
    } catch (err) {
      msg.textContent = errorText(err);
    }
  });
  confirmBtn.addEventListener('click', async () => {
    try {
      await api('POST', '/api/admin/device/settings/confirm');
      pending = null;
      await load(true);
    } catch (err) {
      msg.textContent = errorText(err);
      void load(false);
    }
  });

  void load(true);
  return {
    el: form,
    stop: () => {
      window.clearTimeout(poll);
      window.clearInterval(tick);
    },
  };
}
