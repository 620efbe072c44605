-- +goose Up
CREATE TABLE nodes (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT NOT NULL UNIQUE
);
CREATE TABLE rounds (
    id       INTEGER PRIMARY KEY,
    started  INTEGER NOT NULL,
    finished INTEGER NOT NULL,
    results  INTEGER NOT NULL
);
CREATE TABLE minute_rollup (
    node_id INTEGER NOT NULL,
    probe   INTEGER NOT NULL,
    bucket  INTEGER NOT NULL,
    ok      INTEGER NOT NULL,
    total   INTEGER NOT NULL,
    lat_sum INTEGER NOT NULL,
    lat_max INTEGER NOT NULL,
    PRIMARY KEY (node_id, probe, bucket)
) WITHOUT ROWID;
CREATE TABLE hour_rollup (
    node_id INTEGER NOT NULL,
    probe   INTEGER NOT NULL,
    bucket  INTEGER NOT NULL,
    ok      INTEGER NOT NULL,
    total   INTEGER NOT NULL,
    lat_sum INTEGER NOT NULL,
    lat_max INTEGER NOT NULL,
    PRIMARY KEY (node_id, probe, bucket)
) WITHOUT ROWID;
CREATE TABLE probe_state (
    node_id    INTEGER NOT NULL,
    probe      INTEGER NOT NULL,
    ok         INTEGER NOT NULL,
    since      INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    status     INTEGER NOT NULL,
    class      TEXT NOT NULL,
    msg        TEXT NOT NULL,
    latency_ms INTEGER NOT NULL,
    PRIMARY KEY (node_id, probe)
) WITHOUT ROWID;
CREATE TABLE events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    node_id  INTEGER NOT NULL,
    probe    INTEGER NOT NULL,
    round_id INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    ok       INTEGER NOT NULL,
    status   INTEGER NOT NULL,
    class    TEXT NOT NULL,
    msg      TEXT NOT NULL,
    UNIQUE (node_id, probe, round_id)
);
CREATE TABLE snapshot (
    id           INTEGER PRIMARY KEY,
    last_refresh INTEGER NOT NULL,
    saved_at     INTEGER NOT NULL,
    body         BLOB NOT NULL
);

-- +goose Down
DROP TABLE snapshot;
DROP TABLE events;
DROP TABLE probe_state;
DROP TABLE hour_rollup;
DROP TABLE minute_rollup;
DROP TABLE rounds;
DROP TABLE nodes;
