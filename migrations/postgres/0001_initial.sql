-- patchart schema, version 1 (PostgreSQL): the SQLite schema of
-- migrations/sqlite/0001..0004 in one step, with the same tables, columns
-- and meanings. Integers are BIGINT so every backend reads them as i64;
-- booleans stay 0/1 integers as on SQLite; timestamps stay RFC 3339 UTC
-- text (ordered by their text), so rows mean the same on both.

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
    size_bytes   BIGINT NOT NULL,
    canonical    TEXT NOT NULL,           -- the canonical dataset, JSON
    created_at   TEXT NOT NULL,
    summary      TEXT                     -- what job views show of it, JSON
);

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
    progress_total        BIGINT NOT NULL DEFAULT 0,
    idempotency_key       TEXT,
    visualization_config  TEXT NOT NULL,
    trace_id              TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    finished_at           TEXT,
    UNIQUE (created_by, idempotency_key)
);
CREATE INDEX jobs_by_owner ON jobs (created_by, created_at);
CREATE INDEX jobs_by_status ON jobs (status);

CREATE TABLE image_tasks (
    id                  TEXT PRIMARY KEY,
    job_id              TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    position            BIGINT NOT NULL,
    algorithm_key       TEXT NOT NULL,
    requested_version   TEXT,
    algorithm_version   TEXT,
    plugin_sha256       TEXT,
    params              TEXT NOT NULL,
    output_format       TEXT NOT NULL CHECK (output_format IN ('png', 'svg', 'both')),
    status              TEXT NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELLED')),
    progress            BIGINT NOT NULL DEFAULT 0,
    attempts            BIGINT NOT NULL DEFAULT 0,
    lease_owner         TEXT,
    lease_expires_ms    BIGINT,
    png_sha256          TEXT,
    svg_sha256          TEXT,
    chart_data          TEXT,
    warnings            TEXT,
    plugin_logs         TEXT,
    cache_hit           BIGINT NOT NULL DEFAULT 0,
    duration_ms         BIGINT,
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
CREATE INDEX image_tasks_by_plugin ON image_tasks (plugin_sha256, cache_hit, duration_ms);

CREATE TABLE description_tasks (
    id                  TEXT PRIMARY KEY,
    image_task_id       TEXT NOT NULL REFERENCES image_tasks (id) ON DELETE CASCADE,
    created_by          TEXT NOT NULL REFERENCES users (id),
    user_context        TEXT,
    locale              TEXT NOT NULL DEFAULT 'en',
    provider_used       TEXT,
    model_used          TEXT,
    status              TEXT NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELLED')),
    result_text         TEXT,
    prompt_snapshot     TEXT,
    error_code          TEXT,
    error_message       TEXT,
    trace_id            TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    finished_at         TEXT,
    job_id              TEXT REFERENCES jobs (id) ON DELETE CASCADE,
    requested_provider  TEXT,
    requested_model     TEXT,
    attempts            BIGINT NOT NULL DEFAULT 0,
    lease_owner         TEXT,
    lease_expires_ms    BIGINT,
    started_at          TEXT,
    provider_attempts   TEXT
);
CREATE INDEX description_tasks_by_image ON description_tasks (image_task_id);
CREATE INDEX description_tasks_queue ON description_tasks (status, created_at);

-- The event log of a job; `id` orders events and is what clients resume
-- from (`?after=`). Writers append a job's events while holding its row
-- lock, so within a job ids grow in commit order.
CREATE TABLE events (
    id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    event_uuid   TEXT NOT NULL UNIQUE,
    job_id       TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    task_id      TEXT,
    entity_type  TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    level        TEXT NOT NULL,
    message      TEXT NOT NULL,
    progress     BIGINT,
    payload      TEXT NOT NULL,
    trace_id     TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX events_by_job ON events (job_id, id);

CREATE TABLE render_cache (
    cache_key    TEXT PRIMARY KEY,
    png_sha256   TEXT,
    svg_sha256   TEXT,
    chart_data   TEXT NOT NULL,
    warnings     TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE plugins (
    sha256       TEXT PRIMARY KEY,
    key          TEXT NOT NULL,
    version      TEXT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('builtin', 'directory', 'upload')),
    origin       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('enabled', 'disabled', 'retired')),
    limits       TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX plugins_by_key ON plugins (key, version);

-- Content-addressed blobs (uploads, artifacts, uploaded plugin components):
-- the row is written with its chunks in one transaction, so a blob is
-- either complete or absent.
CREATE TABLE blobs (
    sha256      TEXT NOT NULL,
    ext         TEXT NOT NULL,
    size_bytes  BIGINT NOT NULL,
    chunks      BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (sha256, ext)
);
CREATE TABLE blob_chunks (
    sha256  TEXT NOT NULL,
    ext     TEXT NOT NULL,
    seq     BIGINT NOT NULL,
    data    BYTEA NOT NULL,
    PRIMARY KEY (sha256, ext, seq),
    FOREIGN KEY (sha256, ext) REFERENCES blobs (sha256, ext) ON DELETE CASCADE
);
