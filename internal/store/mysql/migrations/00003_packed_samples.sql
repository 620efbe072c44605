-- +goose Up
-- Outcomes packed per node and hour (samples: an entry per round) and per
-- node and day (hourly: an entry per hour); see sqlstore/blob.go. The
-- rows of the earlier rollup tables are converted by migration 4 and the
-- tables dropped by migration 5.
CREATE TABLE samples (
    node_id BIGINT NOT NULL,
    hour    BIGINT NOT NULL,
    data    MEDIUMBLOB NOT NULL,
    PRIMARY KEY (node_id, hour),
    KEY samples_hour (hour)
) ENGINE=InnoDB;
CREATE TABLE hourly (
    node_id BIGINT NOT NULL,
    day     BIGINT NOT NULL,
    data    MEDIUMBLOB NOT NULL,
    PRIMARY KEY (node_id, day),
    KEY hourly_day (day)
) ENGINE=InnoDB;
-- The newest hour rolled up from samples into hourly.
CREATE TABLE rollup_mark (
    id   INT NOT NULL PRIMARY KEY,
    hour BIGINT NOT NULL
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE rollup_mark;
DROP TABLE hourly;
DROP TABLE samples;
