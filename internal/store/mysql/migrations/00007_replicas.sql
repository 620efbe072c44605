-- +goose Up
-- Several replicas on one database (internal/replica). One row holds the
-- leader lease, the start of the leader's latest round (a new leader keeps
-- its schedule), and the rounds followers ask of the leader. Times are
-- microseconds since the Unix epoch on the database's clock, so replicas'
-- clocks never meet.
CREATE TABLE replica_lease (
    id            INT NOT NULL PRIMARY KEY,
    holder        VARCHAR(191) NOT NULL,
    epoch         BIGINT NOT NULL,
    expires       BIGINT NOT NULL,
    acquired      BIGINT NOT NULL,
    round_started BIGINT NOT NULL,
    forced        BIGINT NOT NULL,
    forced_at     BIGINT NOT NULL,
    wanted        BIGINT NOT NULL,
    wanted_at     BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO replica_lease (id, holder, epoch, expires, acquired, round_started, forced, forced_at, wanted, wanted_at)
VALUES (1, '', 0, 0, 0, 0, 0, 0, 0, 0);
-- Every publication of the leader, newest last: the gzip of its crns.json
-- and what a follower needs to rebuild the same bytes (see
-- snapshot.Replay). Only the last few are kept.
CREATE TABLE publications (
    version     BIGINT NOT NULL PRIMARY KEY,
    epoch       BIGINT NOT NULL,
    holder      VARCHAR(191) NOT NULL,
    published   BIGINT NOT NULL,
    built       BIGINT NOT NULL,
    final       BOOLEAN NOT NULL,
    answered    BIGINT NOT NULL,
    etag        VARCHAR(64) NOT NULL,
    active_etag VARCHAR(64) NOT NULL,
    levels      CHAR(6) NOT NULL,
    digest      CHAR(32) NOT NULL,
    status      BLOB NOT NULL,
    body        LONGBLOB NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- +goose Down
DROP TABLE publications;
DROP TABLE replica_lease;
