// Step 65: what the sandboxed daemon may ask of the system: power off, set the clock (polkit).
import type { Step } from '../lib/step.js';
import { ensureDisabled } from '../lib/units.js';
import { renderPolkitRules } from '../templates/polkit-rules.js';

export const step: Step = {
  id: '65-privileges',
  title: 'power-off and clock for the service',
  async run({ target }) {
    await target.writeFile('/etc/polkit-1/rules.d/50-homedrive.rules', renderPolkitRules(), { mode: 0o644, restarts: [] });
    // timedated refuses set-time while NTP sync is on, and there is no internet to sync with;
    // fake-hwclock carries the time an admin sets across reboots.
    await ensureDisabled(target, 'systemd-timesyncd.service');
  },
};
