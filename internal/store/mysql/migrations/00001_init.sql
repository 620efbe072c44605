-- +goose Up
CREATE TABLE nodes (
    id   BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    hash VARCHAR(191) NOT NULL,
    UNIQUE KEY nodes_hash (hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE rounds (
    id       BIGINT NOT NULL PRIMARY KEY,
    started  BIGINT NOT NULL,
    finished BIGINT NOT NULL,
    results  INT NOT NULL
) ENGINE=InnoDB;
CREATE TABLE minute_rollup (
    node_id BIGINT NOT NULL,
    probe   TINYINT NOT NULL,
    bucket  BIGINT NOT NULL,
    ok      INT NOT NULL,
    total   INT NOT NULL,
    lat_sum BIGINT NOT NULL,
    lat_max BIGINT NOT NULL,
    PRIMARY KEY (node_id, probe, bucket)
) ENGINE=InnoDB;
CREATE TABLE hour_rollup (
    node_id BIGINT NOT NULL,
    probe   TINYINT NOT NULL,
    bucket  BIGINT NOT NULL,
    ok      INT NOT NULL,
    total   INT NOT NULL,
    lat_sum BIGINT NOT NULL,
    lat_max BIGINT NOT NULL,
    PRIMARY KEY (node_id, probe, bucket)
) ENGINE=InnoDB;
CREATE TABLE probe_state (
    node_id    BIGINT NOT NULL,
    probe      TINYINT NOT NULL,
    ok         BOOLEAN NOT NULL,
    since      BIGINT NOT NULL,
    at         BIGINT NOT NULL,
    status     INT NOT NULL,
    class      VARCHAR(32) NOT NULL,
    msg        VARCHAR(400) NOT NULL,
    latency_ms BIGINT NOT NULL,
    PRIMARY KEY (node_id, probe)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE events (
    id       BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    node_id  BIGINT NOT NULL,
    probe    TINYINT NOT NULL,
    round_id BIGINT NOT NULL,
    at       BIGINT NOT NULL,
    ok       BOOLEAN NOT NULL,
    status   INT NOT NULL,
    class    VARCHAR(32) NOT NULL,
    msg      VARCHAR(400) NOT NULL,
    UNIQUE KEY events_once (node_id, probe, round_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE snapshot (
    id           INT NOT NULL PRIMARY KEY,
    last_refresh BIGINT NOT NULL,
    saved_at     BIGINT NOT NULL,
    body         LONGBLOB NOT NULL
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE snapshot;
DROP TABLE events;
DROP TABLE probe_state;
DROP TABLE hour_rollup;
DROP TABLE minute_rollup;
DROP TABLE rounds;
DROP TABLE nodes;
