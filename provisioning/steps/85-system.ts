// Step 85: hostname and time zone.
import { writeFile } from 'node:fs/promises';
import type { Step } from '../lib/step.js';
import { renderHostname, renderHosts } from '../templates/hosts.js';

export const step: Step = {
  id: '85-system',
  title: 'hostname and time zone',
  async run({ config, target }) {
    const changed = await target.writeFile('/etc/hostname', renderHostname(config), { mode: 0o644, restarts: ['avahi-daemon.service'] });
    const hosts = (await target.readText('/etc/hosts')) ?? '127.0.0.1\tlocalhost\n';
    await target.writeFile('/etc/hosts', renderHosts(hosts, config), { mode: 0o644 });
    // hostnamectl needs D-Bus, absent at first boot; the kernel's name is a plain file.
    if (changed && target.live && !target.dryRun) await writeFile('/proc/sys/kernel/hostname', config.hostname);
    const zone = `/usr/share/zoneinfo/${config.timezone}`;
    if (!(await target.exists(zone))) target.note('timezone', `${zone} is missing (tzdata not installed?): the link will dangle`);
    await target.symlink('/etc/localtime', zone);
    await target.writeFile('/etc/timezone', `${config.timezone}\n`, { mode: 0o644 });
  },
};
