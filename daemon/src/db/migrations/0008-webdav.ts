// WebDAV: dead properties that clients set with PROPPATCH (keyed by space and path, following moves and
// copies, gone with the resource), and per-device app passwords for file managers that keep a password.
export const sql = `
CREATE TABLE dav_props (
  space TEXT NOT NULL,
  path  TEXT NOT NULL,             -- as files.path: '' is the space root
  ns    TEXT NOT NULL,             -- the property's namespace URI
  name  TEXT NOT NULL,             -- its local name
  value TEXT NOT NULL,             -- its content as XML, namespaces declared inside
  PRIMARY KEY (space, path, ns, name)
) WITHOUT ROWID;

CREATE TABLE app_passwords (
  id           INTEGER PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  label        TEXT NOT NULL,       -- the device it was made for ("Marie's laptop")
  hash         TEXT NOT NULL,       -- SHA-256 of the generated secret (long and random: no bcrypt needed)
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX app_passwords_user ON app_passwords(user_id);
`;
