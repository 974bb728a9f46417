-- The nodes serving this database and when each last said it was alive.
-- A node writes its row at start and every few seconds, and deletes it
-- when it stops gracefully; a row whose heartbeat is old is a node that
-- died (its tasks run again once their leases end).
CREATE TABLE nodes (
    id               TEXT PRIMARY KEY,
    version          TEXT NOT NULL,
    bind             TEXT NOT NULL,
    workers          INTEGER NOT NULL,
    describe_workers INTEGER NOT NULL,
    started_at       TEXT NOT NULL,
    heartbeat_at     TEXT NOT NULL,
    heartbeat_ms     BIGINT NOT NULL
);
