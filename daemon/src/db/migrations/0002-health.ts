// Health supervision: minute samples, hourly roll-ups, scheduled jobs' runs, alerts.
// Samples are stamped in seconds (not ms like the rest) to keep the table small; every
// column is nullable because a reading the hardware cannot give is stored as NULL, never 0.
export const sql = `
CREATE TABLE health_samples (
  at            INTEGER PRIMARY KEY,  -- unix seconds; the rowid itself, so no extra index
  cpu_temp      REAL,   -- °C
  load1         REAL,   -- 1-minute load average
  cpu_pct       REAL,   -- CPU busy %
  mem_pct       REAL,   -- memory used % (of MemTotal - MemAvailable)
  data_pct      REAL,   -- data root (SSD) used %
  data_free     INTEGER,-- bytes
  root_pct      REAL,   -- root filesystem (SD card) used %
  root_free     INTEGER,-- bytes
  ssd_present   INTEGER,-- 1 mounted, 0 missing, NULL when no mount is required
  battery_pct   REAL,   -- %
  battery_v     REAL,   -- V
  charging      INTEGER,-- 1/0
  under_voltage INTEGER,-- 1/0: get_throttled bit 0 or the rpi_volt alarm
  throttled     INTEGER,-- 1/0: get_throttled bits 1-2 (frequency capped or throttled)
  io_r          REAL,   -- read operations/s
  io_w          REAL,   -- write operations/s
  power_flags   INTEGER   -- the raw get_throttled word
);

CREATE TABLE health_hourly (
  hour INTEGER PRIMARY KEY,  -- unix seconds of the hour's start
  n    INTEGER NOT NULL,     -- minute samples aggregated
  cpu_temp_avg REAL, cpu_temp_min REAL, cpu_temp_max REAL,
  load1_avg REAL, load1_min REAL, load1_max REAL,
  cpu_pct_avg REAL, cpu_pct_min REAL, cpu_pct_max REAL,
  mem_pct_avg REAL, mem_pct_min REAL, mem_pct_max REAL,
  data_pct_avg REAL, data_pct_min REAL, data_pct_max REAL,
  data_free_avg REAL, data_free_min REAL, data_free_max REAL,
  root_pct_avg REAL, root_pct_min REAL, root_pct_max REAL,
  root_free_avg REAL, root_free_min REAL, root_free_max REAL,
  ssd_present_avg REAL, ssd_present_min REAL, ssd_present_max REAL,
  battery_pct_avg REAL, battery_pct_min REAL, battery_pct_max REAL,
  battery_v_avg REAL, battery_v_min REAL, battery_v_max REAL,
  charging_avg REAL, charging_min REAL, charging_max REAL,
  under_voltage_avg REAL, under_voltage_min REAL, under_voltage_max REAL,
  throttled_avg REAL, throttled_min REAL, throttled_max REAL,
  io_r_avg REAL, io_r_min REAL, io_r_max REAL,
  io_w_avg REAL, io_w_min REAL, io_w_max REAL
);

CREATE TABLE job_state (
  name             TEXT PRIMARY KEY,
  last_started_at  INTEGER,
  last_finished_at INTEGER,
  last_outcome     TEXT CHECK (last_outcome IN ('ok', 'failed')),
  last_duration_ms INTEGER,
  last_trigger     TEXT,
  last_error       TEXT,
  last_summary     TEXT,       -- JSON
  last_ok_at       INTEGER,
  runs             INTEGER NOT NULL DEFAULT 0,
  failures         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE job_runs (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'failed')),
  trigger     TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  error       TEXT,
  summary     TEXT                -- JSON
);
CREATE INDEX job_runs_name ON job_runs(name, id);
CREATE INDEX job_runs_started ON job_runs(started_at);

CREATE TABLE alerts (
  id           INTEGER PRIMARY KEY,
  key          TEXT NOT NULL,      -- e.g. 'disk_full:data', 'battery_low'
  severity     TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
  message      TEXT NOT NULL,
  value        REAL,
  raised_at    INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  cleared_at   INTEGER             -- NULL while active
);
CREATE UNIQUE INDEX alerts_active ON alerts(key) WHERE cleared_at IS NULL;
CREATE INDEX alerts_raised ON alerts(raised_at);
`;
