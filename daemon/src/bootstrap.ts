// Opening the daemon's state: configuration, database, migrations, services, first admin.
import crypto from 'node:crypto';
import { loadConfig, type Config } from './config.js';
import { openDatabase } from './db/connection.js';
import { migrate } from './db/migrate.js';
import { buildDeps, type Deps } from './deps.js';
import { createLogger, type Logger } from './log.js';
import { applyStagedRestore } from './services/backups.js';
import { systemClock } from './services/clock.js';

/** `applyRestore`: the daemon's start (never the CLI, which may run beside it) puts a staged restore in place first. */
export function openState(env: NodeJS.ProcessEnv = process.env, log?: Logger, opts: { applyRestore?: boolean } = {}): Deps {
  const config: Config = loadConfig(env);
  const logger = log ?? createLogger({ level: config.logLevel });
  if (opts.applyRestore && applyStagedRestore(config.dbPath)) {
    logger.warn('restored a backup staged before the restart; the replaced database is kept beside it', {
      db: config.dbPath,
      kept: `${config.dbPath}.before-restore`,
    });
  }
  const db = openDatabase(config.dbPath);
  const m = migrate(db);
  if (m.from !== m.to) logger.info('database migrated', { from: m.from, to: m.to, db: config.dbPath });
  return buildDeps({ config, db, clock: systemClock, log: logger });
}

/** A readable random password: 4 groups of 5 from an alphabet without look-alikes (~95 bits). */
export function generatePassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const groups: string[] = [];
  for (let g = 0; g < 4; g++) {
    let s = '';
    for (let i = 0; i < 5; i++) s += alphabet[crypto.randomInt(alphabet.length)];
    groups.push(s);
  }
  return groups.join('-');
}
