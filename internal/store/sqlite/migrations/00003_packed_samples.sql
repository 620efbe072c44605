-- +goose Up
-- Outcomes packed per node and hour (samples: an entry per round) and per
-- node and day (hourly: an entry per hour); see sqlstore/blob.go. The
-- rows of the earlier rollup tables are converted by migration 4 and the
-- tables dropped by migration 5.
CREATE TABLE samples (
    id      INTEGER PRIMARY KEY,
    node_id INTEGER NOT NULL,
    hour    INTEGER NOT NULL,
    data    BLOB NOT NULL,
    UNIQUE (node_id, hour)
);
CREATE INDEX samples_hour ON samples (hour);
CREATE TABLE hourly (
    id      INTEGER PRIMARY KEY,
    node_id INTEGER NOT NULL,
    day     INTEGER NOT NULL,
    data    BLOB NOT NULL,
    UNIQUE (node_id, day)
);
CREATE INDEX hourly_day ON hourly (day);
-- The newest hour rolled up from samples into hourly.
CREATE TABLE rollup_mark (
    id   INTEGER PRIMARY KEY,
    hour INTEGER NOT NULL
);

-- +goose Down
DROP TABLE rollup_mark;
DROP TABLE hourly;
DROP TABLE samples;
