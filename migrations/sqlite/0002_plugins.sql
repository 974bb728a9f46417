-- Plugin builds known to this data dir, by the sha256 of the component.
-- Built-ins and directory plugins are re-read from the binary and the
-- plugins directory at start; the row keeps what operators decided about
-- them (status, limits). Uploaded components are kept in the file store.
CREATE TABLE plugins (
    sha256       TEXT PRIMARY KEY,
    key          TEXT NOT NULL,
    version      TEXT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('builtin', 'directory', 'upload')),
    origin       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('enabled', 'disabled', 'retired')),
    limits       TEXT,                 -- JSON override of the default limits
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX plugins_by_key ON plugins (key, version);

-- Run statistics per plugin build come from the tasks it ran.
CREATE INDEX image_tasks_by_plugin ON image_tasks (plugin_sha256, cache_hit, duration_ms);
