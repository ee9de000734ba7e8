// The admin console's "Device" tab: the Wi-Fi and system settings (device-settings.ts); restart or power off
// the drive, everyone warned first, and call it off.
import type { DeviceResponse, Notice } from '../../../daemon/src/api-types.js';
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n/index.js';
import { disksCard } from './device-disks.js';
import { settingsCard } from './device-settings.js';
import { updateCard } from './device-update.js';
import { confirmDialog, errorText } from './dialogs.js';
import { noticeText, showNotice } from './notice.js';

export function deviceTab(section: HTMLElement): () => void {
  const state = h('p', { role: 'status', id: 'power-state' });
  const failure = h('p', { class: 'error', hidden: true });
  const cancel = h('button', { type: 'button', class: 'btn', hidden: true, id: 'power-cancel' }, t('powerCancel'));
  const show = (r: DeviceResponse) => {
    state.textContent = r.notice ? noticeText(r.notice) : t('powerNone');
    cancel.hidden = !r.notice || r.notice.code === 'battery_critical_shutdown';
    failure.hidden = !r.powerFailure;
    failure.textContent = r.powerFailure ? t('powerFailed', { why: r.powerFailure }) : '';
    showNotice(r.notice);
  };
  const load = () => api<DeviceResponse>('GET', '/api/admin/device').then(show, (err) => (state.textContent = errorText(err)));
  const act = async (action: 'reboot' | 'poweroff') => {
    const ok = await confirmDialog(
      t(action === 'reboot' ? 'powerRebootTitle' : 'powerOffTitle'),
      t(action === 'reboot' ? 'powerRebootWarn' : 'powerOffWarn'),
      t(action === 'reboot' ? 'powerReboot' : 'powerOff'),
      true,
    );
    if (!ok) return;
    try {
      const r = await api<{ notice: Notice }>('POST', '/api/admin/device/power', { action });
      show({ notice: r.notice, powerFailure: null });
    } catch (err) {
      state.textContent = errorText(err);
    }
  };
  cancel.addEventListener('click', async () => {
    try {
      await api('DELETE', '/api/admin/device/power');
      await load();
    } catch (err) {
      state.textContent = errorText(err);
    }
  });
  const settings = settingsCard();
  const disks = disksCard();
  const update = updateCard();
  replace(
    section,
    h('h2', null, t('tab_device')),
    // Switching off at the end of the day is what this tab is used for most: first.
    h(
      'section',
      { class: 'card stack', 'aria-labelledby': 'power-title' },
      h('h3', { id: 'power-title' }, t('power')),
      h('p', { class: 'hint' }, t('powerHelp')),
      state,
      failure,
      h(
        'div',
        { class: 'row-actions wrap' },
        h('button', { type: 'button', class: 'btn', onclick: () => void act('reboot') }, t('powerReboot')),
        h('button', { type: 'button', class: 'btn danger', onclick: () => void act('poweroff') }, t('powerOff')),
        cancel,
      ),
    ),
    settings.el,
    disks.el,
    update.el,
  );
  void load();
  const timer = window.setInterval(() => void load(), 5000);
  return () => {
    window.clearInterval(timer);
    settings.stop();
    disks.stop();
    update.stop();
  };
}
