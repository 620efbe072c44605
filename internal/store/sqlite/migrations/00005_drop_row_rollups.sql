-- +goose Up
DROP TABLE minute_rollup;
DROP TABLE hour_rollup;

-- +goose Down
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
CREATE INDEX minute_rollup_bucket ON minute_rollup (bucket);
CREATE INDEX hour_rollup_bucket ON hour_rollup (bucket);
