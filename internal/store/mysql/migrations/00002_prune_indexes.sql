-- +goose Up
-- Pruning deletes the oldest buckets in small batches; without these it
-- would scan whole tables each time. Events are listed per node, newest first.
CREATE INDEX minute_rollup_bucket ON minute_rollup (bucket);
CREATE INDEX hour_rollup_bucket ON hour_rollup (bucket);
CREATE INDEX events_node ON events (node_id, id);
CREATE INDEX events_at ON events (at);

-- +goose Down
DROP INDEX events_at ON events;
DROP INDEX events_node ON events;
DROP INDEX hour_rollup_bucket ON hour_rollup;
DROP INDEX minute_rollup_bucket ON minute_rollup;
