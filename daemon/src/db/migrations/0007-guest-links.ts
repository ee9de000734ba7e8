// Guest links: a file or folder shared without an account, read-only or as a drop box. Only the
// secret's SHA-256 is kept; the target is the index row's id, so a link follows its folder's moves.
// Files sent through a link keep the name the guest typed.
export const sql = `
CREATE TABLE links (
  id               INTEGER PRIMARY KEY,
  secret_hash      TEXT NOT NULL UNIQUE,   -- hex SHA-256 of the secret's 16 bytes
  creator          TEXT NOT NULL REFERENCES users(username),
  file_id          INTEGER,                -- files.id of the target; NULL once it is gone
  space            TEXT NOT NULL,
  path             TEXT NOT NULL,          -- the target's path at creation (for the record)
  type             TEXT NOT NULL CHECK (type IN ('file', 'dir')),
  mode             TEXT NOT NULL CHECK (mode IN ('read', 'upload')),
  password_hash    TEXT,                   -- bcrypt; NULL: no password
  expires_at       INTEGER NOT NULL,
  max_uses         INTEGER,                -- NULL: no limit
  uses             INTEGER NOT NULL DEFAULT 0,
  max_upload_bytes INTEGER,                -- per file; NULL: no limit but the quota
  created_at       INTEGER NOT NULL,
  revoked_at       INTEGER
);
CREATE INDEX links_creator ON links(creator, id);
CREATE INDEX links_file ON links(file_id);

ALTER TABLE files ADD COLUMN guest_name TEXT;
`;
