// Groups of users (a class, a team), users' display names, and login cards (a per-user secret kept as its SHA-256).
// A card is revoked by the schema itself (trigger below) whenever its user's password changes, the user is
// disabled, deleted or made an administrator: every path that does so (the API, the CLI's reset-password, a
// future one) revokes it, without the accounts service having to remember.
export const sql = `
CREATE TABLE groups (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
-- "CM2 B" and "cm2 b" are one class.
CREATE UNIQUE INDEX groups_name ON groups(name COLLATE NOCASE);

CREATE TABLE group_members (
  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members(user_id);

-- The real name an account was made from ("Élodie Martin" for elodie-martin), printed on its card.
ALTER TABLE users ADD COLUMN display_name TEXT;

CREATE TABLE login_cards (
  id             INTEGER PRIMARY KEY,
  user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  secret_sha256  BLOB NOT NULL UNIQUE,  -- SHA-256 of the card's 16 random bytes; the secret itself is never stored
  created_at     INTEGER NOT NULL,
  revoked_at     INTEGER,               -- kept after revocation, to answer card_revoked instead of invalid_card
  revoked_reason TEXT CHECK (revoked_reason IN ('password', 'disabled', 'deleted', 'promoted', 'replaced'))
);
CREATE INDEX login_cards_user ON login_cards(user_id);

-- An administrator's printed card would open the whole drive to whoever finds it: promotion revokes it too.
CREATE TRIGGER login_cards_revoke AFTER UPDATE OF password_hash, disabled, deleted_at, role ON users
WHEN NEW.password_hash IS NOT OLD.password_hash
  OR (NEW.disabled = 1 AND OLD.disabled = 0)
  OR (NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL)
  OR (NEW.role = 'admin' AND OLD.role <> 'admin')
BEGIN
  UPDATE login_cards
     SET revoked_at = NEW.updated_at,
         revoked_reason = CASE
           WHEN NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL THEN 'deleted'
           WHEN NEW.disabled = 1 AND OLD.disabled = 0 THEN 'disabled'
           WHEN NEW.role = 'admin' AND OLD.role <> 'admin' THEN 'promoted'
           ELSE 'password' END
   WHERE user_id = NEW.id AND revoked_at IS NULL;
END;
`;
