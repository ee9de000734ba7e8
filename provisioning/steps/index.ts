// The ordered list of provisioning steps (numbered like pi-gen's stages).
import type { Step } from '../lib/step.js';
import { step as packages } from './00-packages.js';
import { step as user } from './10-user.js';
import { step as wifi } from './20-wifi.js';
import { step as firmware } from './25-firmware.js';
import { step as network } from './30-network.js';
import { step as dnsmasq } from './40-dnsmasq.js';
import { step as storage } from './50-storage.js';
import { step as service } from './60-service.js';
import { step as privileges } from './65-privileges.js';
import { step as helper } from './67-helper.js';
import { step as avahi } from './70-avahi.js';
import { step as longevity } from './80-longevity.js';
import { step as system } from './85-system.js';
import { step as firstboot } from './90-firstboot.js';

export const STEPS: readonly Step[] = [
  packages,
  user,
  wifi,
  firmware,
  network,
  dnsmasq,
  storage,
  service,
  privileges,
  helper,
  avahi,
  longevity,
  system,
  firstboot,
];

/** What first boot re-applies: the steps that read the keys of the first-boot file. */
export const FIRSTBOOT_STEPS: readonly Step[] = [wifi, dnsmasq, service, system];
