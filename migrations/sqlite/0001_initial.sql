-- patchart schema, version 1 (SQLite).
-- Ids are uuids as text; timestamps are RFC 3339 UTC text; lease deadlines
-- and event ordering use integers so comparisons are exact.

CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    created_at  TEXT NOT NULL
);

-- Only the sha256 of a token is stored; the token itself is shown once.
CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL
);

-- Content-addressed: one row (and one stored file) per distinct upload.
CREATE TABLE datasets (
    id           TEXT PRIMARY KEY,
    sha256       TEXT NOT NULL UNIQUE,
    source_type  TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    canonical    TEXT NOT NULL,           -- the canonical dataset, JSON
    created_at   TEXT NOT NULL
);

-- Who may use a dataset: whoever uploaded its bytes.
CREATE TABLE dataset_access (
    dataset_id  TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (dataset_id, user_id)
);

CREATE TABLE jobs (
    id                    TEXT PRIMARY KEY,
    dataset_id            TEXT NOT NULL REFERENCES datasets (id),
    created_by            TEXT NOT NULL REFERENCES users (id),
    status                TEXT NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'PARTIAL_SUCCESS', 'SUCCESS', 'FAILED', 'CANCELLED')),
    progress_total        INTEGER NOT NULL DEFAULT 0,
    idempotency_key       TEXT,
    visualization_config  TEXT NOT NULL,   -- as given, JSON
    trace_id              TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    finished_at           TEXT,
    -- Idempotency is enforced here, not by check-then-insert.
    UNIQUE (created_by, idempotency_key)
);
CREATE INDEX jobs_by_owner ON jobs (created_by, created_at);
CREATE INDEX jobs_by_status ON jobs (status);

CREATE TABLE image_tasks (
    id                  TEXT PRIMARY KEY,
    job_id              TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    position            INTEGER NOT NULL,
    algorithm_key       TEXT NOT NULL,
    requested_version   TEXT,
    algorithm_version   TEXT,              -- resolved when the task runs
    plugin_sha256       TEXT,
    params              TEXT NOT NULL,     -- JSON
    output_format       TEXT NOT NULL CHECK (output_format IN ('png', 'svg', 'both')),
    status              TEXT NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELLED')),
    progress            INTEGER NOT NULL DEFAULT 0,
    attempts            INTEGER NOT NULL DEFAULT 0,
    lease_owner         TEXT,
    lease_expires_ms    INTEGER,
    png_sha256          TEXT,
    svg_sha256          TEXT,
    chart_data          TEXT,              -- JSON
    warnings            TEXT,              -- JSON array
    plugin_logs         TEXT,              -- JSON {stdout, stderr}
    cache_hit           INTEGER NOT NULL DEFAULT 0,
    duration_ms         INTEGER,
    error_code          TEXT,
    error_message       TEXT,
    trace_id            TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    started_at          TEXT,
    finished_at         TEXT
);
CREATE INDEX image_tasks_queue ON image_tasks (status, created_at, position);
CREATE INDEX image_tasks_by_job ON image_tasks (job_id, position);

CREATE TABLE description_tasks (
    id               TEXT PRIMARY KEY,
    image_task_id    TEXT NOT NULL REFERENCES image_tasks (id) ON DELETE CASCADE,
    created_by       TEXT NOT NULL REFERENCES users (id),
    user_context     TEXT,
    locale           TEXT NOT NULL DEFAULT 'en',
    provider_used    TEXT,
    model_used       TEXT,
    status           TEXT NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELLED')),
    result_text      TEXT,
    prompt_snapshot  TEXT,
    error_code       TEXT,
    error_message    TEXT,
    trace_id         TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    finished_at      TEXT
);
CREATE INDEX description_tasks_by_image ON description_tasks (image_task_id);

-- The event log of a job; `id` orders events and is what clients resume
-- from (`?after=`).
CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_uuid   TEXT NOT NULL UNIQUE,
    job_id       TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    task_id      TEXT,
    entity_type  TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    level        TEXT NOT NULL,
    message      TEXT NOT NULL,
    progress     INTEGER,
    payload      TEXT NOT NULL,   -- JSON
    trace_id     TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX events_by_job ON events (job_id, id);

-- Rendered charts by what determines them: dataset, plugin build, params,
-- style and format. A hit reuses the stored artifacts.
CREATE TABLE render_cache (
    cache_key    TEXT PRIMARY KEY,
    png_sha256   TEXT,
    svg_sha256   TEXT,
    chart_data   TEXT NOT NULL,
    warnings     TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
