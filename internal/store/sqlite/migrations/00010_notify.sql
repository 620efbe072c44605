-- +goose Up
-- Notifications (internal/notify): each node's state, opaque to the
-- store, and the outbox of messages to deliver. A delivered message is
-- kept a day (delivered is its time in Unix microseconds, 0 until then).
-- The number matches MySQL's migration of the same change.
CREATE TABLE notify_state (
    hash  TEXT NOT NULL PRIMARY KEY,
    state BLOB NOT NULL
);
CREATE TABLE notify_outbox (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id  TEXT NOT NULL,
    url       TEXT NOT NULL,
    body      BLOB NOT NULL,
    created   INTEGER NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notify_outbox_delivered ON notify_outbox (delivered, seq);

-- +goose Down
DROP TABLE notify_outbox;
DROP TABLE notify_state;
