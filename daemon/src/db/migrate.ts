// Ordered migrations: each runs in one transaction that also bumps PRAGMA user_version.
import type { Db } from './connection.js';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-health.js';
import * as m0003 from './migrations/0003-listing-index.js';
import * as m0004 from './migrations/0004-intents.js';
import * as m0005 from './migrations/0005-must-change-password.js';
import * as m0006 from './migrations/0006-groups-and-cards.js';
import * as m0007 from './migrations/0007-guest-links.js';
import * as m0008 from './migrations/0008-webdav.js';
import * as m0009 from './migrations/0009-handins.js';
import * as m0010 from './migrations/0010-usage-counters.js';

export const migrations: ReadonlyArray<{ name: string; sql: string }> = [
  { name: '0001-initial', sql: m0001.sql },
  { name: '0002-health', sql: m0002.sql },
  { name: '0003-listing-index', sql: m0003.sql },
  { name: '0004-intents', sql: m0004.sql },
  { name: '0005-must-change-password', sql: m0005.sql },
  { name: '0006-groups-and-cards', sql: m0006.sql },
  { name: '0007-guest-links', sql: m0007.sql },
  { name: '0008-webdav', sql: m0008.sql },
  { name: '0009-handins', sql: m0009.sql },
  { name: '0010-usage-counters', sql: m0010.sql },
];

/** The schema version the database is at: the number of migrations applied. */
export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function migrate(db: Db, list = migrations): { from: number; to: number } {
  const from = schemaVersion(db);
  if (from > list.length) {
    throw new Error(`database schema version ${from} is newer than this daemon (${list.length}); refusing to run`);
  }
  for (let v = from; v < list.length; v++) {
    const step = list[v]!;
    db.transaction(() => {
      db.exec(step.sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return { from, to: list.length };
}
