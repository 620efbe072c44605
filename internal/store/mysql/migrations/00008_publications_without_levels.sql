-- +goose Up
-- Each encoding of crns.json is now compressed at one fixed level, on
-- first request, so its bytes follow from the identity bytes alone: a
-- follower no longer needs the levels the leader used (see
-- snapshot.Replay). The digest now covers the gzip of the All variant.
ALTER TABLE publications DROP COLUMN levels;

-- +goose Down
ALTER TABLE publications ADD COLUMN levels CHAR(6) NOT NULL DEFAULT '------' AFTER active_etag;
