// Step 60: the daemon's environment file and its hardened homedrive.service.
import { ENV_FILE, SERVICE_USER } from '../contract.js';
import type { Step } from '../lib/step.js';
import { ensureEnabled } from '../lib/units.js';
import { renderHomedriveEnv } from '../templates/homedrive-env.js';
import { renderHomedriveService } from '../templates/homedrive-service.js';

export const step: Step = {
  id: '60-service',
  title: 'homedrive.service',
  async run({ config, target }) {
    // Readable by the daemon's group only: future settings may be secrets.
    await target.writeFile(ENV_FILE, renderHomedriveEnv(config), { mode: 0o640, group: SERVICE_USER, restarts: ['homedrive.service'] });
    await target.writeFile('/etc/systemd/system/homedrive.service', renderHomedriveService(), { mode: 0o644, restarts: ['homedrive.service'] });
    await ensureEnabled(target, 'homedrive.service');
  },
};
