// Step 80: SD-card longevity: journal in RAM, no periodic apt jobs, fake-hwclock kept enabled.
import type { Step } from '../lib/step.js';
import { ensureDisabled, ensureEnabled } from '../lib/units.js';
import { renderJournald } from '../templates/journald.js';

export const step: Step = {
  id: '80-longevity',
  title: 'SD-card longevity',
  async run({ config, target }) {
    await target.writeFile('/etc/systemd/journald.conf.d/90-homedrive.conf', renderJournald(config), { mode: 0o644, restarts: ['systemd-journald.service'] });
    // Offline device: these only fail and write to the SD card every day.
    for (const timer of ['apt-daily.timer', 'apt-daily-upgrade.timer', 'man-db.timer']) await ensureDisabled(target, timer);
    // No RTC on the Pi: the last saved time beats 1970 after a power cut.
    await ensureEnabled(target, 'fake-hwclock-load.service');
    await ensureEnabled(target, 'fake-hwclock-save.timer');
  },
};
