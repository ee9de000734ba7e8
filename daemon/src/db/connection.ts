// Opens the SQLite database with the pragmas the daemon relies on; checks its integrity on demand.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export function openDatabase(file: string): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL: readers never block the writer, and a power cut loses at most the last transactions.
  db.pragma('journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode and skips an fsync per commit,
  // which the SD card is grateful for; a power cut may roll back the last commit, never corrupt.
  db.pragma('synchronous = NORMAL');
  // SQLite leaves foreign keys off by default, per connection.
  db.pragma('foreign_keys = ON');
  // Wait for the CLI (a second connection) instead of failing with SQLITE_BUSY at once.
  db.pragma('busy_timeout = 5000');
  return db;
}

/** SQLite's quick_check: "ok", or the first problem it found (the CLI's doctor reports it). */
export function quickCheck(db: Db): string {
  return String(db.pragma('quick_check', { simple: true }));
}
