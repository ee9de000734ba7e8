// SQL for login cards: the SHA-256 of each card's secret, its user, and whether it was revoked (and why).
import type { Db } from '../connection.js';

export type CardRevokedReason = 'password' | 'disabled' | 'deleted' | 'promoted' | 'replaced';

export interface CardRow {
  id: number;
  user_id: number;
  secret_sha256: Buffer;
  created_at: number;
  revoked_at: number | null;
  revoked_reason: CardRevokedReason | null;
}

export function cardQueries(db: Db) {
  const insert = db.prepare<[number, Buffer, number]>('INSERT INTO login_cards (user_id, secret_sha256, created_at) VALUES (?, ?, ?)');
  const byHash = db.prepare<[Buffer], CardRow>('SELECT * FROM login_cards WHERE secret_sha256 = ?');
  const revokeUser = db.prepare<[number, string, number]>('UPDATE login_cards SET revoked_at = ?, revoked_reason = ? WHERE user_id = ? AND revoked_at IS NULL');
  const active = db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM login_cards WHERE user_id = ? AND revoked_at IS NULL');
  const activeUsers = db.prepare<[], { user_id: number }>('SELECT DISTINCT user_id FROM login_cards WHERE revoked_at IS NULL');
  return {
    /** Users whose card works now. */
    activeUserIds: () => new Set(activeUsers.all().map((r) => r.user_id)),
    insert: (userId: number, hash: Buffer, now: number) => Number(insert.run(userId, hash, now).lastInsertRowid),
    byHash: (hash: Buffer) => byHash.get(hash),
    /** Revokes the user's live card (the trigger of migration 0006 does it on password, disable and delete). */
    revokeForUser: (userId: number, reason: CardRevokedReason, now: number) => revokeUser.run(now, reason, userId).changes,
    hasActive: (userId: number) => active.get(userId)!.n > 0,
  };
}
export type CardQueries = ReturnType<typeof cardQueries>;
