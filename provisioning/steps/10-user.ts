// Step 10: the dedicated homedrive system user and its state directory on the SD card.
import { $ } from 'zx';
import { SERVICE_USER, STATE_DIR } from '../contract.js';
import { lookupUid } from '../lib/accounts.js';
import type { Step } from '../lib/step.js';
import { renderSysusers } from '../templates/sysusers.js';

export const step: Step = {
  id: '10-user',
  title: 'system user',
  async run({ target }) {
    await target.writeFile('/etc/sysusers.d/homedrive.conf', renderSysusers(), { mode: 0o644 });
    if ((await lookupUid(target.root, SERVICE_USER)) !== null) {
      target.record({ kind: 'unchanged', subject: `user ${SERVICE_USER}` });
    } else {
      target.record({ kind: 'created', subject: `user ${SERVICE_USER}`, detail: 'systemd-sysusers' });
      if (!target.dryRun) {
        const rootArg = target.live ? [] : [`--root=${target.root}`];
        await $({ quiet: true })`systemd-sysusers ${rootArg} homedrive.conf`;
      }
    }
    await target.ensureDir('/etc/homedrive', { mode: 0o755 });
    await target.ensureDir(STATE_DIR, { mode: 0o750, owner: SERVICE_USER, group: SERVICE_USER });
  },
};
