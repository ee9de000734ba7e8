// The composition root: every service of one daemon, built once over an open, migrated database.
// main.ts, the CLI and the tests build the same graph here; nothing else constructs a service.
import type { Config } from './config.js';
import { CommitBarrier } from './db/commit-barrier.js';
import type { Db } from './db/connection.js';
import { HealthService, type HealthOptions } from './health/service.js';
import { declareJobs } from './jobs/list.js';
import type { Logger } from './log.js';
import { Accounts } from './services/accounts.js';
import { Copies } from './services/copies.js';
import { DavAuth } from './services/dav-auth.js';
import { davPropQueries } from './db/queries/dav-props.js';
import { Locks } from './dav/locks.js';
import { Audit } from './services/audit.js';
import { Backups } from './services/backups.js';
import { BulkAccounts } from './services/bulk-accounts.js';
import { Cards } from './services/cards.js';
import type { Clock } from './services/clock.js';
import { Drive } from './services/drive.js';
import { Groups } from './services/groups.js';
import { Handins } from './services/handins.js';
import { Links } from './services/links.js';
import { PasswordHasher } from './services/password-hasher.js';
import { Portal } from './services/portal.js';
import { Reconciler } from './services/reconcile.js';
import { Thumbs } from './services/thumbs.js';
import { Transfers } from './services/transfers.js';
import { Trash } from './services/trash.js';
import { Tree } from './services/tree.js';
import { Ledger, Uploads } from './services/uploads.js';
import { FileStore } from './storage/file-store.js';

export interface Deps {
  config: Config;
  db: Db;
  clock: Clock;
  log: Logger;
  store: FileStore;
  accounts: Accounts;
  /** Password hashing threads: closed with the daemon (they never keep the process alive). */
  hasher: PasswordHasher;
  audit: Audit;
  drive: Drive;
  uploads: Uploads;
  trash: Trash;
  reconciler: Reconciler;
  transfers: Transfers;
  thumbs: Thumbs;
  health: HealthService;
  portal: Portal;
  groups: Groups;
  cards: Cards;
  bulkAccounts: BulkAccounts;
  links: Links;
  /** Hand-in folders: files collected from a roster, outside every space. */
  handins: Handins;
  /** WebDAV: Basic authentication and app passwords, copies, locks (in memory), dead properties. */
  davAuth: DavAuth;
  copies: Copies;
  locks: Locks;
  davProps: ReturnType<typeof davPropQueries>;
  backups: Backups;
  /** How a route asks for the daemon to restart (main.ts: a graceful stop, then systemd's Restart=). */
  lifecycle: Lifecycle;
}

/** Set by main.ts; tests see the request in `restarts`. */
export class Lifecycle {
  readonly restarts: string[] = [];
  onRestart: (reason: string) => void = () => {};
  restart(reason: string): void {
    this.restarts.push(reason);
    this.onRestart(reason);
  }
}

export interface BaseDeps {
  config: Config;
  db: Db;
  clock: Clock;
  log: Logger;
}

/** Options for tests: the health side reads fixtures instead of this machine. */
export interface DepsOptions {
  health?: HealthOptions;
}

export function buildDeps(base: BaseDeps, opts: DepsOptions = {}): Deps {
  const { config, db, clock, log } = base;
  const store = new FileStore(config.dataDir, { requireMount: config.requireMount, minFreeBytes: config.minFreeBytes });
  const audit = new Audit(db, clock);
  const hasher = new PasswordHasher(config.hashThreads);
  const accounts = new Accounts(db, clock, hasher);
  const tree = new Tree(store, db, clock, new CommitBarrier(config.dbPath));
  const ledger = new Ledger(db);
  const trash = new Trash(db, tree, audit, clock, ledger);
  const uploads = new Uploads(db, ledger, tree, trash, audit, clock);
  const drive = new Drive(db, tree, trash, audit);
  const reconciler = new Reconciler(db, drive, uploads, trash, audit, clock, log);
  const transfers = new Transfers(drive, uploads, log);
  const thumbs = new Thumbs(drive);
  const backups = new Backups(config, db, clock, store, log);
  const health = new HealthService(
    { config, db, clock, log, audit, storageState: () => store.storageState() },
    (h) => declareJobs({ config, clock, store, accounts, trash, reconciler, transfers, thumbs, backups }, h),
    opts.health,
  );
  const portal = new Portal({ portalAddress: config.portalAddress, hostname: config.hostname, listenHost: config.host, port: config.port }, clock);
  const groups = new Groups(db, audit, clock);
  const cards = new Cards(db, clock, accounts, portal, config.hostapdConf);
  const bulkAccounts = new BulkAccounts(db, clock, accounts, groups, cards, audit);
  const links = new Links(db, drive, audit, clock, hasher);
  const handins = new Handins(db, store, uploads, audit, clock);
  const dav = {
    davAuth: new DavAuth(db, accounts, clock),
    copies: new Copies(drive, uploads),
    locks: new Locks(() => clock.now()),
    davProps: davPropQueries(db),
  };
  return {
    ...base,
    backups,
    lifecycle: new Lifecycle(),
    store,
    accounts,
    hasher,
    audit,
    drive,
    uploads,
    trash,
    reconciler,
    transfers,
    thumbs,
    health,
    portal,
    groups,
    cards,
    bulkAccounts,
    links,
    handins,
    ...dav,
  };
}
