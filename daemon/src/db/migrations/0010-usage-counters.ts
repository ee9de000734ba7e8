// Usage counters kept by triggers: the storage report, the users list and every quota check read a
// few rows instead of summing every row of `files` (110,000 files: the report held the event loop
// for 50-80 ms, the users list 24-30 ms; issue 16). Every write to `files` or `handin_submissions`
// goes through these triggers, whatever statement makes it, so the counters cannot drift from the
// rows; the test suite checks them against the full sums after every kind of change.
//
// What counts is what the report counted before: per space, the files (bytes and number) and
// folders present on disk (missing_since IS NULL); per owner, the same files plus what the owner
// handed in (migration 0009). Files found on disk with no known owner count under owner ''.
const fileIn = (r: 'NEW' | 'OLD', sign: '+' | '-') => `
  INSERT INTO usage_by_space (space, bytes, files, dirs)
    SELECT ${r}.space, ${sign}(CASE WHEN ${r}.type = 'file' THEN ${r}.size ELSE 0 END),
           ${sign}(${r}.type = 'file'), ${sign}(${r}.type = 'dir')
    WHERE ${r}.missing_since IS NULL
    ON CONFLICT (space) DO UPDATE SET bytes = bytes + excluded.bytes, files = files + excluded.files, dirs = dirs + excluded.dirs;
  INSERT INTO usage_by_owner (owner, bytes, files)
    SELECT coalesce(${r}.owner, ''), ${sign}${r}.size, ${sign}1
    WHERE ${r}.missing_since IS NULL AND ${r}.type = 'file'
    ON CONFLICT (owner) DO UPDATE SET bytes = bytes + excluded.bytes, files = files + excluded.files;`;

const handedIn = (r: 'NEW' | 'OLD', sign: '+' | '-') => `
  INSERT INTO usage_by_owner (owner, bytes, files) SELECT ${r}.username, ${sign}${r}.size, ${sign}1 WHERE true
    ON CONFLICT (owner) DO UPDATE SET bytes = bytes + excluded.bytes, files = files + excluded.files;`;

export const sql = `
CREATE TABLE usage_by_space (
  space TEXT PRIMARY KEY NOT NULL,
  bytes INTEGER NOT NULL,
  files INTEGER NOT NULL,
  dirs  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE usage_by_owner (
  owner TEXT PRIMARY KEY NOT NULL,   -- a username; '' for files whose owner is unknown
  bytes INTEGER NOT NULL,
  files INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO usage_by_space (space, bytes, files, dirs)
  SELECT space, coalesce(sum(CASE WHEN type = 'file' THEN size END), 0),
         count(CASE WHEN type = 'file' THEN 1 END), count(CASE WHEN type = 'dir' THEN 1 END)
  FROM files WHERE missing_since IS NULL GROUP BY space;

INSERT INTO usage_by_owner (owner, bytes, files)
  SELECT owner, sum(size), count(*) FROM (
    SELECT coalesce(owner, '') AS owner, size FROM files WHERE type = 'file' AND missing_since IS NULL
    UNION ALL SELECT username AS owner, size FROM handin_submissions
  ) GROUP BY owner;

CREATE TRIGGER files_usage_insert AFTER INSERT ON files BEGIN ${fileIn('NEW', '+')}
END;
CREATE TRIGGER files_usage_delete AFTER DELETE ON files BEGIN ${fileIn('OLD', '-')}
END;
-- A move changes only path, parent and name: it does not fire this.
CREATE TRIGGER files_usage_update AFTER UPDATE OF space, type, size, owner, missing_since ON files BEGIN ${fileIn('OLD', '-')} ${fileIn('NEW', '+')}
END;

CREATE TRIGGER handin_usage_insert AFTER INSERT ON handin_submissions BEGIN ${handedIn('NEW', '+')}
END;
CREATE TRIGGER handin_usage_delete AFTER DELETE ON handin_submissions BEGIN ${handedIn('OLD', '-')}
END;
CREATE TRIGGER handin_usage_update AFTER UPDATE OF username, size ON handin_submissions BEGIN ${handedIn('OLD', '-')} ${handedIn('NEW', '+')}
END;

-- The report's list of indexed files missing from disk: a partial index holds only those rows.
CREATE INDEX files_missing ON files(space, path) WHERE missing_since IS NOT NULL;
`;
