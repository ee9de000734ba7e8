// Step 67: the root helper the sandboxed daemon asks for what only root may do (provisioning/helper).
import type { Step } from '../lib/step.js';
import { ensureEnabled } from '../lib/units.js';
import { renderHelperService, renderHelperSocket, renderSettingsBootService } from '../templates/helper-units.js';

export const step: Step = {
  id: '67-helper',
  title: 'root helper socket',
  async run({ target }) {
    await target.writeFile('/etc/systemd/system/homedrive-helper@.service', renderHelperService(), { mode: 0o644, restarts: [] });
    await target.writeFile('/etc/systemd/system/homedrive-helper.socket', renderHelperSocket(), { mode: 0o644, restarts: ['homedrive-helper.socket'] });
    await ensureEnabled(target, 'homedrive-helper.socket');
    await target.writeFile('/etc/systemd/system/homedrive-settings-boot.service', renderSettingsBootService(), { mode: 0o644 });
    await ensureEnabled(target, 'homedrive-settings-boot.service');
  },
};
