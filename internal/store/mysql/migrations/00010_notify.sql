-- +goose Up
-- Notifications (internal/notify): each node's state, opaque to the
-- store, and the outbox of messages to deliver. A delivered message is
-- kept a day (delivered is its time in Unix microseconds, 0 until then).
CREATE TABLE notify_state (
    hash  VARCHAR(191) NOT NULL PRIMARY KEY,
    state BLOB NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE notify_outbox (
    seq       BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id  VARCHAR(64) NOT NULL,
    url       TEXT NOT NULL,
    body      MEDIUMBLOB NOT NULL,
    created   BIGINT NOT NULL,
    delivered BIGINT NOT NULL DEFAULT 0,
    KEY notify_outbox_delivered (delivered, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- +goose Down
DROP TABLE notify_outbox;
DROP TABLE notify_state;
