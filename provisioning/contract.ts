// Fixed paths and names shared with the daemon (the contract); provisioning never makes these configurable.
export const APP_DIR = '/opt/homedrive';
export const NODE_BIN = '/opt/homedrive/node/bin/node';
export const DAEMON_ENTRY = '/opt/homedrive/app/dist/daemon/src/main.js';
export const CLI_ENTRY = '/opt/homedrive/app/dist/daemon/src/cli/main.js';
// Compiled form of provisioning/firstboot.ts inside the release bundle.
export const FIRSTBOOT_ENTRY = '/opt/homedrive/app/dist/provisioning/firstboot.js';
export const ENV_FILE = '/etc/homedrive/homedrive.env';
export const BASE_CONFIG_FILE = '/etc/homedrive/provisioning.json';
export const DATA_ROOT = '/srv/homedrive';
export const DATA_LABEL = 'HOMEDRIVE';
export const STATE_DIR = '/var/lib/homedrive';
export const DB_FILE = '/var/lib/homedrive/homedrive.db';
export const FIRSTBOOT_FILE = '/boot/firmware/homedrive.txt';
export const FIRSTBOOT_STATUS_FILE = '/var/lib/homedrive/firstboot-status.json';
export const SERVICE_USER = 'homedrive';
export const HTTP_PORT = 80;
// The root helper (provisioning/helper): its compiled entry in the bundle and the socket the daemon asks it on.
export const HELPER_ENTRY = '/opt/homedrive/app/dist/provisioning/helper/main.js';
export const HELPER_SOCKET = '/run/homedrive-helper.sock';
// Device settings from the admin console (provisioning/settings.ts): the program the helper starts as a
// transient unit, and where it keeps the change awaiting confirmation (root only; never the daemon's).
export const SETTINGS_ENTRY = '/opt/homedrive/app/dist/provisioning/settings.js';
export const SETTINGS_STATE_DIR = '/var/lib/homedrive-settings';
// Disks from the admin console (provisioning/disks-job.ts): the program the helper starts as a transient
// unit to list, prepare, import, export and eject, and where it keeps each job's request and progress (root only).
export const DISKS_ENTRY = '/opt/homedrive/app/dist/provisioning/disks-job.js';
export const DISKS_STATE_DIR = '/var/lib/homedrive-disks';
// Updates from the admin console (provisioning/update): the program the helper starts as a transient unit, its
// root-only state (the checked bundle copy, pending.json, last.json), the public key bundles must be signed for,
// where the daemon leaves an upload for the helper to check, and the unit the update restarts.
export const UPDATE_ENTRY = '/opt/homedrive/app/dist/provisioning/update/install.js';
export const UPDATE_STATE_DIR = '/var/lib/homedrive-update';
export const UPDATE_KEY_FILE = '/etc/homedrive/update-key.pem';
export const UPDATE_UPLOAD_DIR = '/var/lib/homedrive/updates';
export const DAEMON_SERVICE = 'homedrive.service';
