// The first schema: users and sessions, the file index, trash, uploads in flight, audit, settings.
export const sql = `
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('user', 'advanced', 'admin')),
  disabled      INTEGER NOT NULL DEFAULT 0,
  quota_bytes   INTEGER,            -- NULL: no quota
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  deleted_at    INTEGER             -- soft delete: the name stays reserved, the container is kept
);

CREATE TABLE sessions (
  id           TEXT PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  ip           TEXT,
  user_agent   TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE files (
  id            INTEGER PRIMARY KEY,
  space         TEXT NOT NULL,      -- 'workspace' or 'users/<name>'
  path          TEXT NOT NULL,      -- NFC, '/'-separated, no leading slash
  parent        TEXT NOT NULL,      -- '' at the space root
  name          TEXT NOT NULL,
  type          TEXT NOT NULL CHECK (type IN ('file', 'dir')),
  size          INTEGER NOT NULL DEFAULT 0,
  owner         TEXT REFERENCES users(username),  -- NULL: found on disk, owner unknown
  sha256        TEXT,
  created_at    INTEGER NOT NULL,
  mtime         INTEGER NOT NULL,
  missing_since INTEGER,            -- the row's file vanished from disk (reported, kept)
  UNIQUE (space, path)
);
CREATE INDEX files_parent ON files(space, parent);
CREATE INDEX files_owner ON files(owner);

CREATE TABLE trash (
  id         INTEGER PRIMARY KEY,
  space      TEXT NOT NULL,
  path       TEXT NOT NULL,
  type       TEXT NOT NULL CHECK (type IN ('file', 'dir')),
  size       INTEGER NOT NULL,
  owner      TEXT,
  deleted_by TEXT NOT NULL,
  deleted_at INTEGER NOT NULL,
  reason     TEXT NOT NULL CHECK (reason IN ('delete', 'overwrite')),
  stored     TEXT NOT NULL UNIQUE,  -- the content's name under .hcd/trash
  items      TEXT NOT NULL          -- JSON: the index rows of the subtree, to restore owners
);
CREATE INDEX trash_deleted_by ON trash(deleted_by);
CREATE INDEX trash_deleted_at ON trash(deleted_at);

CREATE TABLE uploads (
  id         TEXT PRIMARY KEY,      -- also the temporary file's name under .hcd/tmp
  space      TEXT NOT NULL,
  path       TEXT NOT NULL,
  owner      TEXT NOT NULL,
  started_at INTEGER NOT NULL
);

CREATE TABLE audit (
  id     INTEGER PRIMARY KEY,
  at     INTEGER NOT NULL,
  actor  TEXT,
  ip     TEXT,
  action TEXT NOT NULL,
  target TEXT,
  detail TEXT
);
CREATE INDEX audit_actor ON audit(actor, id);
CREATE INDEX audit_action ON audit(action, id);
`;
