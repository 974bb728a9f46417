-- Browser sign-in. `login` rows are the one-time tokens `serve` prints in
-- its login URL; `session` rows are what the console's HttpOnly cookie
-- names. Only a sha256 of either secret is stored. An ended row (used
-- login token, signed-out session) stays until the sweep, so a replayed
-- secret is refused rather than unknown.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    secret_hash  TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('login', 'session')),
    created_at   TEXT NOT NULL,
    expires_ms   BIGINT NOT NULL,
    ended_at     TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);
