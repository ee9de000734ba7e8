// The device clock against this browser's, and "set the device clock from this browser" (the Pi has no RTC and no internet).
import type { ClockSetResponse } from '../../../daemon/src/api-types.js';
import { api } from '../api.js';
import { announce, h } from '../dom.js';
import { fmtDuration, t } from '../i18n/index.js';
import { errorText } from './dialogs.js';
import { clockTime } from './health-format.js';

/** Beyond this the device's clock is called wrong and the button is put forward. */
export const CLOCK_TOLERANCE_MS = 60_000;

export interface ClockState {
  /** device time − browser time, in ms, measured when the health answer arrived. */
  offsetMs: number;
}

export const clockIsOff = (c: ClockState) => Math.abs(c.offsetMs) > CLOCK_TOLERANCE_MS;

function differenceText(offsetMs: number): string {
  if (Math.abs(offsetMs) <= CLOCK_TOLERANCE_MS) return t('health_clockInStep');
  const secs = Math.abs(offsetMs) / 1000;
  // Past an hour the seconds are noise (and the request's own latency): whole minutes.
  const d = fmtDuration(secs >= 3600 ? Math.round(secs / 60) * 60 : secs);
  return offsetMs < 0 ? t('health_clockBehind', { d }) : t('health_clockAhead', { d });
}

/** The button that sends the browser's time; `done` reloads the dashboard. */
export function setClockButton(primary: boolean, status: HTMLElement, done: () => void): HTMLButtonElement {
  const btn = h('button', { type: 'button', class: primary ? 'btn primary' : 'btn', id: primary ? 'set-clock-main' : 'set-clock' }, t('health_setClock'));
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    status.className = 'muted';
    status.textContent = t('health_settingClock');
    try {
      const r = await api<ClockSetResponse>('POST', '/api/admin/clock', { time: new Date().toISOString() });
      status.className = 'ok';
      status.textContent = t('health_clockSet', { time: clockTime(Date.parse(r.requested)), previous: clockTime(Date.parse(r.previous)) });
      done();
    } catch (err) {
      status.className = 'error';
      status.textContent = errorText(err);
    } finally {
      btn.disabled = false;
      announce(status.textContent ?? '');
    }
  });
  return btn;
}

/**
 * The live clocks, updated each second by `tick()`: the device's is the browser's plus the
 * offset measured at the last refresh, so nothing is fetched to make it tick.
 */
export function clockParts(c: ClockState, status: HTMLElement, done: () => void) {
  const device = h('span', { class: 'value', id: 'device-clock' });
  const browser = h('span', { class: 'value', id: 'browser-clock' });
  const tick = () => {
    const now = Date.now();
    device.textContent = clockTime(now + c.offsetMs);
    browser.textContent = clockTime(now);
  };
  tick();
  const off = clockIsOff(c);
  const diff = h('span', { class: `value${off ? ' tone-bad' : ' tone-ok'}` }, differenceText(c.offsetMs));
  const rows = h(
    'dl',
    { class: 'readings' },
    h('div', { class: 'reading', 'data-reading': 'device-clock' }, h('dt', null, t('health_deviceClock')), h('dd', null, device)),
    h('div', { class: 'reading', 'data-reading': 'browser-clock' }, h('dt', null, t('health_browserClock')), h('dd', null, browser)),
    h(
      'div',
      { class: 'reading', 'data-reading': 'clock-difference', 'data-tone': off ? 'bad' : 'ok' },
      h('dt', null, t('health_clockDifference')),
      h('dd', null, diff),
    ),
  );
  /** The card in the grid; its button is plain when the clock is right (the warning above has the main one otherwise). */
  const card = h(
    'section',
    { class: 'card health-card', 'aria-labelledby': 'hc-clock' },
    h('h3', { id: 'hc-clock' }, t('health_clock')),
    rows,
    off ? null : h('div', { class: 'card-actions' }, setClockButton(false, status, done), h('p', { class: 'hint' }, t('health_setClockHint'))),
  );
  /** The warning shown at the top when the clocks disagree by more than a minute. */
  const warning = off
    ? h(
        'section',
        { class: 'clock-warning', id: 'clock-warning', 'aria-labelledby': 'clock-warning-title' },
        h('h3', { id: 'clock-warning-title' }, t('health_clockWrongTitle')),
        h(
          'p',
          null,
          h('strong', null, `${differenceText(c.offsetMs)}.`),
          ' ',
          t('health_clockWrongBody', { device: clockTime(Date.now() + c.offsetMs), browser: clockTime(Date.now()) }),
        ),
        h('p', { class: 'hint' }, t('health_clockWrongWhy')),
        setClockButton(true, status, done),
      )
    : null;
  return { card, warning, tick };
}
