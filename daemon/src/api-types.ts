// The wire types of the HTTP API: what the daemon sends (its routes check with `satisfies`) and what the web UI reads.
// No Node imports and no imports of modules that have them: web/tsconfig.json compiles this file for the browser.

// ---- errors ---------------------------------------------------------------------------------

/** Each error code and its status. A code never travels with another status (errors.ts throws and renders them). */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  invalid_path: 400,
  name_too_long: 400,
  invalid_username: 400,
  invalid_password: 400,
  invalid_role: 400,
  invalid_quota: 400,
  invalid_group: 400,
  invalid_import: 400,
  invalid_backup: 400,
  invalid_bundle: 400,
  update_busy: 409,
  invalid_handin: 400,
  invalid_disk: 400,
  disk_refused: 409,
  disk_busy: 409,
  invalid_settings: 400,
  upload_aborted: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  invalid_card: 401,
  card_revoked: 401,
  link_password_required: 401,
  link_wrong_password: 401,
  forbidden: 403,
  wrong_password: 403,
  account_disabled: 403,
  cross_site_request: 403,
  symlink_refused: 403,
  handin_closed: 403,
  handin_past_deadline: 403,
  not_found: 404,
  no_such_user: 404,
  no_thumbnail: 404,
  no_such_group: 404,
  link_not_found: 404,
  no_such_handin: 404,
  no_such_submission: 404,
  method_not_allowed: 405,
  exists: 409,
  file_changed: 409,
  username_taken: 409,
  not_a_directory: 409,
  is_a_directory: 409,
  last_admin: 409,
  group_exists: 409,
  settings_busy: 409,
  settings_not_applied: 409,
  nothing_to_confirm: 409,
  gone: 410,
  link_expired: 410,
  link_revoked: 410,
  link_used_up: 410,
  link_unavailable: 410,
  payload_too_large: 413,
  quota_exceeded: 413,
  range_not_satisfiable: 416,
  too_many_attempts: 429,
  internal_error: 500,
  storage_unavailable: 503,
  shutting_down: 503,
  helper_unavailable: 503,
  disk_full: 507,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Every JSON error: {"error": {"code", "message"}}. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** {"ok": true}: logout, purging one trash item. */
export interface OkResponse {
  ok: true;
}

// ---- accounts -------------------------------------------------------------------------------

export const ROLES = ['user', 'advanced', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** POST /api/auth/login and /api/auth/password. */
export interface LoginResponse {
  token: string;
  user: { username: string; role: Role };
}

export interface Me {
  username: string;
  role: Role;
  quotaBytes: number | null;
  usedBytes: number;
  /** The password was chosen by someone else (the first start's): the UI asks for a new one. */
  mustChangePassword: boolean;
}

/** GET /api/auth/me. */
export interface MeResponse {
  user: Me;
}

// ---- files and trash ------------------------------------------------------------------------

export type EntryType = 'file' | 'dir';

/** One file or folder: in a listing, and the answer to an upload, mkdir, move or restore. */
export interface Entry {
  name: string;
  type: EntryType;
  /** Bytes; 0 for a folder. */
  size: number;
  mtime: string;
  owner: string | null;
  /** Whether the caller may overwrite, rename, move or delete it. */
  canDelete: boolean;
  /** Sent through a guest link: the name the guest typed (the owner is the link's creator). */
  guest?: string;
}

/** GET /api/fs/{space}/{folder}. */
export interface Listing {
  /** "/" and the folder's names, e.g. "/photos/2024". */
  path: string;
  /** "workspace" or "users/<name>" ("home" is resolved to the caller's container). */
  space: string;
  entries: Entry[];
}

/** DELETE /api/fs/{space}/{path}. */
export interface DeleteResponse {
  trashId: number;
}

export type TrashReason = 'delete' | 'overwrite';

export interface TrashItem {
  id: number;
  space: string;
  path: string;
  name: string;
  type: EntryType;
  size: number;
  owner: string | null;
  deletedBy: string;
  deletedAt: string;
  /** delete: deleted by someone; overwrite: the version an upload replaced. */
  reason: TrashReason;
}

/** GET /api/trash. */
export interface TrashList {
  items: TrashItem[];
}

/** DELETE /api/trash. */
export interface PurgeAllResponse {
  purged: number;
}

// ---- administration -------------------------------------------------------------------------

export interface AdminUser {
  username: string;
  /** The real name the account was made from (bulk creation), or null. */
  displayName: string | null;
  role: Role;
  disabled: boolean;
  /** The groups the user belongs to, by name. */
  groups: GroupRef[];
  /** Whether a login card (link) currently works for this account. */
  card: boolean;
  quotaBytes: number | null;
  usedBytes: number;
  files: number;
  createdAt: string;
  /** Set on deleted accounts (listed with ?deleted=1). */
  deletedAt: string | null;
}

/** GET /api/admin/users[?group=<id>][&deleted=1]. */
export interface AdminUsersResponse {
  users: AdminUser[];
}

/** DELETE /api/admin/users/{name}. */
export interface DeletedUserResponse {
  username: string;
  deleted: true;
  /** Where the account's files stay, for the admin. */
  container: string;
}

// ---- groups, accounts in bulk, login cards ---------------------------------------------------

export interface GroupRef {
  id: number;
  name: string;
}

/** A group of users (a class, a team): data, not a role. */
export interface Group extends GroupRef {
  /** Live (not deleted) members. */
  members: number;
  createdAt: string;
}

/** GET /api/admin/groups. */
export interface GroupsResponse {
  groups: Group[];
}

/** DELETE /api/admin/groups/{id}. */
export interface DeletedGroupResponse {
  id: number;
  deleted: true;
}

/** One line of a preview: what creation would make of it, or why it cannot. */
export interface ImportLine {
  /** The line's number in the pasted text (1-based, blank lines counted); for "generate", the account's rank. */
  line: number;
  name: string | null;
  username: string | null;
  role: Role | null;
  group: string | null;
  /** null when the line is fine; otherwise what is wrong, in words (already naming no line: see `line`). */
  error: string | null;
}

/** POST /api/admin/users/import/preview: nothing is created. */
export interface ImportPreview {
  /** True when every line is fine: sending `lines` to POST /api/admin/users/import creates them all. */
  ok: boolean;
  format: 'list' | 'csv' | 'generated';
  /** CSV only: whether the first row was taken as a header naming the columns. */
  header: boolean;
  lines: ImportLine[];
  /** Accounts that would be created (lines without error). */
  count: number;
  /** Groups that creation would make (named by lines or by "group", not existing yet). */
  newGroups: string[];
}

/** The Wi-Fi printed on cards, as hostapd runs it; `qr` is the WIFI: string for a QR code. */
export interface CardWifi {
  ssid: string;
  /** null: an open network. */
  passphrase: string | null;
  security: 'WPA' | 'nopass';
  qr: string;
}

/** GET /api/admin/cards/network, and part of every answer that makes cards. */
export interface CardNetwork {
  /** The drive's address on its Wi-Fi, e.g. "http://10.42.0.1". */
  address: string;
  /** null where the drive cannot read its Wi-Fi configuration (development): see `wifiReason`. */
  wifi: CardWifi | null;
  wifiReason: string | null;
}

/** One account's card: shown once, never stored in clear (only hashes are kept). */
export interface AccountCard {
  username: string;
  displayName: string | null;
  role: Role;
  groups: string[];
  password: string;
  /** The card's secret (base64url, 128 bits) and the link that opens the drive logged in; null for administrators. */
  cardSecret: string | null;
  cardUrl: string | null;
}

/** POST /api/admin/users/import (201) and POST /api/admin/users/bulk with "new_cards". */
export interface CardsResponse {
  count: number;
  accounts: AccountCard[];
  network: CardNetwork;
}

export const BULK_ACTIONS = ['new_cards', 'disable', 'enable', 'set_role', 'delete'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** POST /api/admin/users/bulk (every action but new_cards, which answers CardsResponse). */
export interface BulkResponse {
  action: BulkAction;
  group: GroupRef | null;
  count: number;
  usernames: string[];
}

/** mounted: the SSD is there; missing: unplugged (HCD_REQUIRE_MOUNT=1); local: no mount required, a plain folder. */
export type StorageState = 'mounted' | 'missing' | 'local';

/** GET /api/admin/storage. */
export interface StorageReport {
  storage: StorageState;
  /**
   * The data disk, with the health dashboard's meaning (storage/disk-space.ts): total = the
   * filesystem's size, free = what users may still write, used = what files take, reserved = ext4's
   * blocks kept for root (used + free + reserved = total); usedPercent = used / (used + free), as df.
   */
  disk: { totalBytes: number; freeBytes: number; usedBytes: number; reservedBytes: number; usedPercent: number } | null;
  spaces: { space: string; bytes: number; files: number; folders: number }[];
  users: { username: string; bytes: number; files: number; quotaBytes: number | null; deleted: boolean }[];
  unownedBytes: number;
  trash: { items: number; bytes: number };
  missing: { space: string; path: string; since: string }[];
}

/** Every action the daemon records in the audit log. */
export const AUDIT_ACTIONS = [
  'login',
  'login_failed',
  'password_change',
  'upload',
  'overwrite',
  'mkdir',
  'move',
  'delete',
  'restore',
  'purge',
  'user_create',
  'user_update',
  'user_delete',
  'users_import',
  'users_bulk',
  'group_create',
  'group_update',
  'group_delete',
  'reconcile',
  'job_run',
  'clock_set',
  'shutdown',
  'link_create',
  'link_use',
  'link_revoke',
  'backup_create',
  'backup_restore',
  'update_install',
  'update_rollback',
  'handin_create',
  'handin_update',
  'handin_delete',
  'handin_submit',
  'handin_withdraw',
  'disk_prepare',
  'disk_import',
  'disk_export',
  'disk_eject',
  'device_settings',
  'device_settings_confirm',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** GET /api/admin/backups: one database backup on the SSD (null: the file could not be read). */
export interface BackupInfo {
  name: string;
  bytes: number;
  createdAt: string;
  users: number | null;
  files: number | null;
  schemaVersion: number | null;
}

/** GET /api/admin/backups: newest first; `offer` is set when this database is new and a backup holds accounts. */
export interface BackupsResponse {
  backups: BackupInfo[];
  offer: BackupInfo | null;
  storage: boolean;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string | null;
  ip: string | null;
  action: AuditAction;
  target: string | null;
  detail: unknown;
}

/** GET /api/admin/audit: newest first; `next` is the `before` of the next page. */
export interface AuditPage {
  entries: AuditEntry[];
  next: number | null;
}

/** POST /api/admin/reconcile, and the nightly job's summary. */
export interface ReconcileReport {
  added: number;
  updated: number;
  foundAgain: number;
  missing: { space: string; path: string }[];
  renamed: { space: string; from: string; to: string }[];
  conflicts: { space: string; path: string; reason: string }[];
  skipped: { space: string; path: string; reason: string }[];
}

// ---- guest links ----------------------------------------------------------------------------

export type LinkMode = 'read' | 'upload';
/** active, or why a guest is refused (each has its error code: link_expired, link_revoked…). */
export type LinkState = 'active' | 'expired' | 'revoked' | 'used_up' | 'unavailable';

/** One link as its creator and admins see it (GET /api/links); never its secret. */
export interface LinkItem {
  id: number;
  creator: string;
  space: string;
  /** The target's path now (it follows moves); null once it is gone. */
  path: string | null;
  type: EntryType;
  mode: LinkMode;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  hasPassword: boolean;
  uses: number;
  maxUses: number | null;
  maxUploadBytes: number | null;
  state: LinkState;
}

/** GET /api/links. */
export interface LinkList {
  links: LinkItem[];
}

/** POST /api/links: the secret and the address, shown this once (only a hash is kept). */
export interface LinkCreated extends LinkItem {
  /** 26 Crockford base32 characters in dash-separated groups; typed in any case, with or without dashes. */
  secret: string;
  url: string;
}

/** GET /api/s/{secret}: what a guest sees before (and after) the password. */
export interface GuestLinkInfo {
  mode: LinkMode;
  type: EntryType;
  /** The shared file's or folder's name. */
  name: string;
  expiresAt: string;
  needsPassword: boolean;
  /** False until the password was given (POST /api/s/{secret}/unlock). */
  unlocked: boolean;
  maxUploadBytes: number | null;
  /** Downloads or uploads left; null: no limit. */
  usesLeft: number | null;
  /** A file link: its size. */
  size: number | null;
}

// ---- hand-ins ---------------------------------------------------------------------------------

/** One handed-in file, with its receipt: what its submitter and administrators see, nobody else. */
export interface Submission {
  id: number;
  handinId: number;
  username: string;
  name: string;
  size: number;
  sha256: string;
  /** A short code ("7KQ2-M9XD") that names this submission, shown to the pupil and on the teacher's roster. */
  receipt: string;
  /** By the drive's clock. */
  submittedAt: string;
  /** Handed in after the hand-in's deadline (as it is now: moving the deadline moves the flags). */
  late: boolean;
}

/** A hand-in folder as the caller sees it (GET /api/handins, /api/handins/{id}). */
export interface HandinItem {
  id: number;
  title: string;
  instructions: string;
  deadline: string | null;
  /** The roster; null: every account may hand in. */
  group: GroupRef | null;
  /** The hand-in named a group that was deleted since: only administrators see it, nobody may hand in. */
  groupMissing: boolean;
  closed: boolean;
  pastDeadline: boolean;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  /** The caller's own submissions, oldest first. */
  mine: Submission[];
  /** What the caller may do now (policy.ts decides; the UI only shows it). */
  canSubmit: boolean;
  canWithdraw: boolean;
  /** Administrators: how many people handed something in, and how many files. */
  submitters: number | null;
  files: number | null;
}

/** GET /api/handins; `now` is the drive's clock, for the admin's "is the clock set?" warning. */
export interface HandinList {
  handins: HandinItem[];
  now: string;
}

/** One line of the roster: a member of the group (or, without a group, someone who handed in). */
export interface RosterLine {
  username: string;
  displayName: string | null;
  /** False for someone who handed in but is not (or no longer) in the group. */
  member: boolean;
  submissions: Submission[];
}

/** GET /api/handins/{id}/roster (administrators). */
export interface HandinRoster {
  handin: HandinItem;
  lines: RosterLine[];
  now: string;
}

// ---- public health, notice, captive portal --------------------------------------------------

/** GET /api/health: public and minimal. */
export interface PublicHealth {
  status: 'ok' | 'degraded';
  /** A plain folder (no mount required) is reported as mounted. */
  storage: Exclude<StorageState, 'local'>;
  mountRequired: boolean;
  /** The data disk is down to its reserve (HCD_MIN_FREE_BYTES): no upload fits. */
  diskFull: boolean;
  /** The running version (app/VERSION, else package.json's): an update is healthy once this is the new one. */
  version: string;
}

/** An update in flight (the root helper's pending.json, provisioning/update/install.ts). */
export interface PendingUpdate {
  id: string;
  action: 'install' | 'rollback';
  /** The version being installed (install) or brought back (rollback). */
  version: string | null;
  requestedAt: string;
  state: 'starting' | 'checking' | 'unpacking' | 'restarting' | 'rolling_back';
}

/** How the last update or rollback ended (the root helper's last.json). */
export interface UpdateOutcome {
  id: string;
  action: 'install' | 'rollback';
  at: string;
  /** installed: the version it went to serves (for a rollback too); rolled_back: it did not, the previous one is
   * back; failed: nothing changed (refused or not unpacked), or the rollback did not serve and was undone. */
  outcome: 'installed' | 'rolled_back' | 'failed';
  version: string | null;
  /** The version running once it was over. */
  running: string | null;
  error?: string;
}

/** GET /api/admin/update */
export interface UpdateStatusResponse {
  running: { version: string | null };
  previous: { version: string | null } | null;
  pending: PendingUpdate | null;
  last: UpdateOutcome | null;
}

/** POST /api/admin/update (201): the bundle uploaded and verified, not yet installed. */
export interface UpdateCheckResponse {
  id: string;
  manifest: { format: 1; version: string; created: string; payloadSha256: string; payloadBytes: number; nodeVersion?: string };
  bytes: number;
  running: { version: string | null };
  previous: { version: string | null } | null;
}

/** The warning every connected browser shows before a critical battery's power-off. */
export interface Notice {
  level: 'critical';
  /** battery_critical_shutdown: by itself, the battery is almost empty; admin_*: an administrator asked from the console. */
  code: 'battery_critical_shutdown' | 'admin_poweroff' | 'admin_reboot';
  message: string;
  /** ISO times by the device's clock. */
  at: string;
  shutdownAt: string;
}

/** GET /api/admin/device: the planned power action (the public notice) and why the last one failed. */
export interface DeviceResponse {
  notice: Notice | null;
  powerFailure: string | null;
}

/** A device setting as the console and the audit name it. */
export type SettingKey = 'hostname' | 'timezone' | 'wifi.ssid' | 'wifi.passphrase' | 'wifi.country' | 'wifi.band' | 'wifi.channel';

/** PUT /api/admin/device/settings: any subset; the whole result is checked by provisioning's schema. */
export interface DeviceSettingsChange {
  hostname?: string;
  timezone?: string;
  wifi?: { ssid?: string; passphrase?: string | null; country?: string; band?: string; channel?: number | null };
  /** Seconds before the previous settings come back unless confirmed: 30 to 600, default 120. */
  revertAfterSeconds?: number;
}

/** A change applied, awaiting a confirmation from the new network (or kept, for a time zone alone). */
export interface PendingSettings {
  id: string;
  by: string;
  requestedAt: string;
  changed: SettingKey[];
  state: 'applying' | 'applied';
  /** When the previous settings come back; null: kept once applied, no confirmation needed. */
  deadline: string | null;
  secondsLeft: number | null;
  previous: { hostname: string; ssid: string; open: boolean };
}

/** GET /api/admin/device/settings. */
export interface DeviceSettingsResponse {
  current: {
    hostname: string;
    timezone: string;
    wifi: { ssid: string; passphrase: string | null; country: string; band: string; channel: number | null; interface: string };
  };
  pending: PendingSettings | null;
  /** How the last change ended. */
  last: { id: string; at: string; outcome: 'kept' | 'confirmed' | 'reverted' | 'failed'; changed: SettingKey[]; error?: string } | null;
  choices: {
    countries: string[];
    countries1To11: string[];
    bands: string[];
    channels5GHz: number[];
    revertSeconds: { default: number; min: number; max: number };
  };
}

/** PUT /api/admin/device/settings: 202 with the pending change, or 200 with nothing changed. */
export interface DeviceSettingsApplied {
  changed: SettingKey[];
  pending: PendingSettings | null;
}

/** GET /api/notice. */
export interface NoticeResponse {
  notice: Notice | null;
}

/** GET /api/portal: what the landing page shows. */
export interface PortalInfo {
  captive: boolean;
  url: string;
  hostname: string;
}

/** POST /api/portal/accept. */
export interface PortalAcceptResponse {
  captive: false;
  url: string;
  secondsRemaining: number;
}

// ---- admin health: readings now (GET /api/admin/health) ---------------------------------------

/**
 * Every sentence the health side says (an unknown reading's reason, a job's summary or error) as a
 * code and its English template: the daemon sends the English text and `{code, params}` beside it,
 * the web UI words the code in the reader's language (its dictionaries' `hm_<code>`, type-checked to
 * cover this list). A template "one|other" or "zero|one|other" is a plural on `params.n`.
 */
export const HEALTH_MESSAGES = {
  // unknown readings
  reader_failed: '{what}: {error}',
  no_power_supply_class: 'no power_supply class in sysfs',
  no_power_supply: 'the kernel reports no power supply',
  no_battery_supply: 'no battery among the power supplies',
  battery_status: 'status "{status}"',
  no_mains_supply: 'no Mains/USB supply reported',
  no_capacity: 'no capacity attribute',
  no_voltage_now: 'no voltage_now attribute',
  no_current_now: 'no current_now attribute',
  pisugar_unreachable: '{error}',
  pisugar_silent: 'the PiSugar server at {address} answered nothing',
  pisugar_no_answer: 'no answer to "get {key}"',
  pisugar_bad_answer: '"get {key}" answered "{answer}"',
  no_ina219: 'no ina219 hwmon device (the chip is not bound to the kernel driver)',
  ina219_no_charge: 'the INA219 measures voltage and current only: no state of charge',
  ina219_no_shunt: 'no curr1_input (no shunt resistor configured)',
  ina219_no_charger: 'the INA219 does not see the charger input',
  ina219_no_voltage: 'no in1_input',
  no_battery_configured: 'no battery configured (HCD_BATTERY=none): a plain powerbank reports nothing',
  throttled_unreadable: 'unreadable get_throttled "{text}"',
  no_firmware: 'no Raspberry Pi firmware interface (no get_throttled in sysfs)',
  no_firmware_vcgencmd: 'no Raspberry Pi firmware interface (no get_throttled in sysfs, vcgencmd not available)',
  vcgencmd_unreadable: 'unreadable vcgencmd answer "{text}"',
  no_rpi_volt: 'no rpi_volt hwmon (not a Raspberry Pi, or its driver is not loaded)',
  rpi_volt_unreadable: 'rpi_volt has no readable in0_lcrit_alarm',
  ssd_not_mounted: 'the SSD is not mounted at {dir}',
  data_on_root: 'the data root is on the root filesystem, not on its own disk',
  no_cpu_sensor: 'no CPU temperature sensor exposed (no thermal zone)',
  no_load: 'no load average',
  no_memory_size: 'memory size not reported',
  no_filesystem: 'no mounted filesystem holds {dir}',
  no_size: '{mount} reports no size',
  no_block_device: 'no block device is mounted at {mount}',
  no_disk_identity: '{device} reports neither model nor serial',
  no_io_stats: 'no block device statistics',
  io_first_reading: 'first reading: no rate until the next one',
  no_helper: 'no root helper at {socket} (not provisioned, or a development machine)',
  ap_down: 'the access point does not answer: {error}',
  helper_failed: 'the root helper failed: {error}',
  // job summaries: each a list of these, one count per phrase
  sample_stored: 'sample stored, every reading known|sample stored, {n} reading unknown|sample stored, {n} readings unknown',
  alerts_active: 'no active alert|{n} active alert|{n} active alerts',
  alerts_raised: '{n} raised|{n} raised',
  alerts_cleared: '{n} cleared|{n} cleared',
  power_state: 'battery guard: {state}',
  hours_averaged: 'no hour to average|{n} hour averaged|{n} hours averaged',
  samples_pruned: '{n} old sample removed|{n} old samples removed',
  hourly_pruned: '{n} old hourly average removed|{n} old hourly averages removed',
  job_runs_pruned: '{n} old job run removed|{n} old job runs removed',
  backup_written: 'saved {file} ({bytes})',
  backups_removed: '{n} older backup removed|{n} older backups removed',
  trash_purged: 'nothing older than {days} days|{n} item older than {days} days purged|{n} items older than {days} days purged',
  uploads_skipped: 'skipped: the storage is not mounted',
  uploads_removed: 'no unfinished upload to remove|{n} unfinished upload removed|{n} unfinished uploads removed',
  sessions_removed: 'no old session|{n} old session forgotten|{n} old sessions forgotten',
  reconcile_added: '{n} file added|{n} files added',
  reconcile_updated: '{n} updated|{n} updated',
  reconcile_missing: '{n} missing|{n} missing',
  reconcile_conflicts: '{n} conflict|{n} conflicts',
  // job errors
  backup_no_storage: 'the storage is not mounted: no backup',
  trash_no_storage: 'the storage is not mounted: trash left for later',
  reconcile_no_storage: 'the storage is not mounted: not reconciled',
} as const;

export type HealthMessageCode = keyof typeof HEALTH_MESSAGES;

/** A health sentence as its code and parameters (numbers stay numbers; `…Bytes`/`bytes` are sizes). */
export interface Coded {
  code: HealthMessageCode;
  params: Record<string, string | number>;
}

/** The English words of a coded sentence (what the daemon sends as text, and logs). */
export function englishOf(c: Coded): string {
  let s: string = HEALTH_MESSAGES[c.code];
  const forms = s.split('|');
  if (forms.length > 1) {
    const n = typeof c.params.n === 'number' ? c.params.n : NaN;
    s = forms.length === 3 && n === 0 ? forms[0]! : n === 1 ? forms[forms.length - 2]! : forms[forms.length - 1]!;
  }
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in c.params ? String(c.params[k]) : m));
}

/** A sensor reading: a value, or unknown with the reason in English and as a code (never an invented number). */
export type Reading<T> = { value: T; reason?: undefined; reasonCode?: undefined } | { value: null; reason: string; reasonCode?: Coded };

export interface Load {
  load1: number;
  load5: number;
  load15: number;
  cores: number;
  /** CPU busy %, over the interval since the previous call. */
  cpuPercent: number;
}

export interface Memory {
  totalBytes: number;
  availableBytes: number;
  usedPercent: number;
  swapTotalBytes: number;
  swapUsedBytes: number;
}

/** A filesystem's figures from statfs (storage/disk-space.ts: the same meaning as StorageReport's disk). */
export interface Filesystem {
  mount: string;
  device: string;
  type: string;
  sizeBytes: number;
  usedBytes: number;
  /** What users may still write (ext4's reserved blocks excluded). */
  availableBytes: number;
  /** Free blocks kept for root: sizeBytes = usedBytes + availableBytes + reservedBytes. */
  reservedBytes: number;
  usedPercent: number;
}

export interface DiskIdentity {
  device: string;
  model: string | null;
  serial: string | null;
  vendor: string | null;
  interface: string | null;
  sizeBytes: number | null;
}

export interface DiskIo {
  readOpsPerSec: number;
  writeOpsPerSec: number;
  readOpsTotal: number;
  writeOpsTotal: number;
}

export interface ThrottleFlags {
  underVoltage: boolean;
  armFreqCapped: boolean;
  throttled: boolean;
  softTempLimit: boolean;
}

export interface Throttled {
  /** The firmware's word as read, for the record. */
  raw: number;
  now: ThrottleFlags;
  sinceBoot: ThrottleFlags;
  source: 'sysfs' | 'vcgencmd';
}

/** HCD_BATTERY: where battery readings come from. */
export type BatterySource = 'none' | 'power_supply' | 'pisugar' | 'ina219';

export interface Battery {
  source: Exclude<BatterySource, 'none'>;
  /** Where the reading came from: a power_supply name, the PiSugar model, the hwmon chip. */
  device: string;
  percent: Reading<number>;
  charging: Reading<boolean>;
  /** External power present (the board's USB input, the kernel's Mains/USB supply). */
  pluggedIn: Reading<boolean>;
  voltageV: Reading<number>;
  currentA: Reading<number>;
}

/** Every reading of one moment (the daemon's Snapshot adds its time in ms). */
export interface HealthReadings {
  uptimeSeconds: number;
  cpu: { temperatureC: Reading<number>; load: Reading<Load> };
  memory: Reading<Memory>;
  storage: {
    state: StorageState;
    data: Reading<Filesystem>;
    root: Reading<Filesystem>;
    ssd: Reading<DiskIdentity>;
    io: Reading<DiskIo>;
  };
  power: { throttled: Reading<Throttled>; underVoltageAlarm: Reading<boolean> };
  battery: Reading<Battery>;
  /** Phones on the drive's Wi-Fi now (hostapd's station list, through the root helper). */
  wifi: Reading<WifiClients>;
}

/** The access point's clients against what its radio can hold. */
export interface WifiClients {
  interface: string;
  connected: number;
  /**
   * About how many clients the radio holds: the Pi 4's internal radio about 19 with the minimal
   * firmware provisioning selects, about 8 with the standard one; null for a USB adapter (unknown).
   */
  ceiling: number | null;
  radio: 'internal_minimal' | 'internal_standard' | 'usb_adapter';
}

export type Severity = 'warning' | 'critical';

export interface Alert {
  key: string;
  severity: Severity;
  message: string;
  value: number | null;
  raisedAt: string;
  lastSeenAt: string;
  clearedAt: string | null;
}

export interface Thresholds {
  diskWarnPercent: number;
  diskCriticalPercent: number;
  batteryLowPercent: number;
  batteryCriticalPercent: number;
  cpuWarnC: number;
  cpuCriticalC: number;
}

export interface JobStatus {
  name: string;
  description: string;
  schedule: string;
  running: boolean;
  nextRunAt: string | null;
  lastRun: {
    startedAt: string;
    finishedAt: string | null;
    outcome: 'ok' | 'failed' | null;
    durationMs: number | null;
    trigger: string | null;
    error: string | null;
    summary: unknown;
    /** The summary as coded phrases (HEALTH_MESSAGES), for the reader's language; null when none. */
    summaryCode: Coded[] | null;
    /** The error as a code when it is one the daemon words (else null: the text is all there is). */
    errorCode: Coded | null;
  } | null;
  lastSuccessAt: string | null;
  runs: number;
  failures: number;
}

/** GET /api/admin/health. */
export interface HealthNow extends HealthReadings {
  at: string;
  clock: { now: string; timezoneOffsetMinutes: number };
  batterySource: BatterySource;
  alerts: Alert[];
  recentAlerts: Alert[];
  notice: Notice | null;
  jobs: JobStatus[];
  thresholds: Thresholds;
}

/** One past run of a job, newest first in JobDetail. */
export interface JobRunRecord {
  startedAt: string;
  durationMs: number;
  outcome: string;
  trigger: string;
  error: string | null;
}

/** GET /api/admin/health/jobs/{name}. */
export interface JobDetail extends JobStatus {
  history: JobRunRecord[];
}

/** POST /api/admin/health/jobs/{name}/run. */
export interface JobRunResponse {
  name: string;
  outcome: 'ok' | 'failed';
  startedAt: string;
  durationMs: number;
  summary: Record<string, unknown> | null;
  error: string | null;
  summaryCode: Coded[] | null;
  errorCode: Coded | null;
}

/** POST /api/admin/clock. */
export interface ClockSetResponse {
  previous: string;
  requested: string;
  now: string;
}

// ---- admin health: history (GET /api/admin/health/history) -----------------------------------

/** Every stored metric: a column of health_samples and avg/min/max columns of health_hourly. */
export const METRICS = [
  'cpu_temp',
  'load1',
  'cpu_pct',
  'mem_pct',
  'data_pct',
  'data_free',
  'root_pct',
  'root_free',
  'ssd_present',
  'battery_pct',
  'battery_v',
  'charging',
  'under_voltage',
  'throttled',
  'io_r',
  'io_w',
] as const;
export type Metric = (typeof METRICS)[number];

export type HistoryRange = '24h' | '7d';

export interface History {
  range: HistoryRange;
  /** Seconds between points: 60 (minute samples) or 3600 (hourly roll-ups). */
  step: number;
  metrics: Metric[];
  /** Unix seconds of each point (the hour's start for roll-ups). */
  t: number[];
  /** One array per metric, aligned with t; null where the reading was unknown. */
  series: Partial<Record<Metric, (number | null)[]>>;
  /** Hourly roll-ups only: the hour's extremes. */
  min?: Partial<Record<Metric, (number | null)[]>>;
  max?: Partial<Record<Metric, (number | null)[]>>;
}
