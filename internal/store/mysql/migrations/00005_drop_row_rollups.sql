-- +goose Up
DROP TABLE minute_rollup;
DROP TABLE hour_rollup;

-- +goose Down
CREATE TABLE minute_rollup (
    node_id BIGINT NOT NULL,
    probe   TINYINT NOT NULL,
    bucket  BIGINT NOT NULL,
    ok      INT NOT NULL,
    total   INT NOT NULL,
    lat_sum BIGINT NOT NULL,
    lat_max BIGINT NOT NULL,
    PRIMARY KEY (node_id, probe, bucket),
    KEY minute_rollup_bucket (bucket)
) ENGINE=InnoDB;
CREATE TABLE hour_rollup (
    node_id BIGINT NOT NULL,
    probe   TINYINT NOT NULL,
    bucket  BIGINT NOT NULL,
    ok      INT NOT NULL,
    total   INT NOT NULL,
    lat_sum BIGINT NOT NULL,
    lat_max BIGINT NOT NULL,
    PRIMARY KEY (node_id, probe, bucket),
    KEY hour_rollup_bucket (bucket)
) ENGINE=InnoDB;
