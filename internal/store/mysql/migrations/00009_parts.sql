-- +goose Up
-- A body larger than a statement may be (max_allowed_packet, 16 MiB by
-- default on MariaDB) is written in parts: the row keeps the first part
-- and how many there are, the parts table the others, numbered from 1
-- (see sqlstore.Split). A body of one part is written as before.
ALTER TABLE snapshot ADD COLUMN parts INT NOT NULL DEFAULT 1;
CREATE TABLE snapshot_parts (
    part INT NOT NULL PRIMARY KEY,
    body LONGBLOB NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
ALTER TABLE publications ADD COLUMN parts INT NOT NULL DEFAULT 1;
CREATE TABLE publication_parts (
    version BIGINT NOT NULL,
    part    INT NOT NULL,
    body    LONGBLOB NOT NULL,
    PRIMARY KEY (version, part)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- +goose Down
DROP TABLE publication_parts;
ALTER TABLE publications DROP COLUMN parts;
DROP TABLE snapshot_parts;
ALTER TABLE snapshot DROP COLUMN parts;
