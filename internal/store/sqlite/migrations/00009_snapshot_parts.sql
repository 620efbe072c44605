-- +goose Up
-- A body larger than a blob may be is written in parts: the row keeps
-- the first part and how many there are, the parts table the others,
-- numbered from 1 (see sqlstore.Split). The number matches MySQL's
-- migration of the same change.
ALTER TABLE snapshot ADD COLUMN parts INTEGER NOT NULL DEFAULT 1;
CREATE TABLE snapshot_parts (
    part INTEGER NOT NULL PRIMARY KEY,
    body BLOB NOT NULL
);

-- +goose Down
DROP TABLE snapshot_parts;
ALTER TABLE snapshot DROP COLUMN parts;
