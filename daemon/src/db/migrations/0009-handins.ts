// Hand-in folders: a title, instructions, an optional deadline and roster (a group), and the files each
// person handed in. The files live outside every space (.hcd/handins/<id>/<stored>), named by a random
// id on the disk: no listing, zip, trash or WebDAV of the workspace can ever reach them.
export const sql = `
-- AUTOINCREMENT: an id is never given again, so a page or a link kept from before a delete never opens
-- what came after it (and a deleted hand-in's folder is never adopted by a new one).
CREATE TABLE handins (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  title        TEXT NOT NULL,
  instructions TEXT NOT NULL DEFAULT '',
  deadline     INTEGER,                -- ms since the epoch, by the drive's clock; NULL: none
  -- groups.id, deliberately not a foreign key: a deleted group leaves the hand-in to administrators
  -- only, where ON DELETE SET NULL would open it to every account.
  group_id     INTEGER,
  closed_at    INTEGER,                -- NULL: open
  created_by   TEXT NOT NULL REFERENCES users(username),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);

CREATE TABLE handin_submissions (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  handin_id    INTEGER NOT NULL REFERENCES handins(id) ON DELETE CASCADE,
  username     TEXT NOT NULL REFERENCES users(username),
  name         TEXT NOT NULL,          -- the file's name as handed in (validated like any file name)
  stored       TEXT NOT NULL UNIQUE,   -- its name on the disk: a random id, never anything a user typed
  size         INTEGER NOT NULL,
  sha256       TEXT NOT NULL,
  receipt      TEXT NOT NULL UNIQUE,   -- 8 Crockford base32 characters
  submitted_at INTEGER NOT NULL,
  UNIQUE (handin_id, username, name)
);
CREATE INDEX handin_submissions_user ON handin_submissions(username, handin_id);
`;
