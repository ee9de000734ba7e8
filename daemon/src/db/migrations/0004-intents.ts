// Intents: a move, a restore or a resumable upload's finish is written down (and committed) before
// its rename, and struck off in the same transaction that indexes the result; recovery at start
// finishes or forgets whatever a crash left between the two.
export const sql = `
CREATE TABLE intents (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('move', 'restore', 'tus')),
  space TEXT NOT NULL,
  path TEXT NOT NULL,
  target TEXT NOT NULL,
  actor TEXT,
  detail TEXT,
  created_at INTEGER NOT NULL
);
`;
