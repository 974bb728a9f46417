-- Description tasks become a durable queue of their own, claimed with a
-- lease like image tasks, and carry what was asked for (provider, model)
-- next to what produced the text (provider_used, model_used).

ALTER TABLE description_tasks ADD COLUMN job_id TEXT REFERENCES jobs (id) ON DELETE CASCADE;
ALTER TABLE description_tasks ADD COLUMN requested_provider TEXT;
ALTER TABLE description_tasks ADD COLUMN requested_model TEXT;
ALTER TABLE description_tasks ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE description_tasks ADD COLUMN lease_owner TEXT;
ALTER TABLE description_tasks ADD COLUMN lease_expires_ms INTEGER;
ALTER TABLE description_tasks ADD COLUMN started_at TEXT;
-- Each provider tried, in order, with how it ended (JSON array). When a
-- fallback wrote the text the task is SUCCESS and error_code/error_message
-- keep the last failure, so the reason stays visible.
ALTER TABLE description_tasks ADD COLUMN provider_attempts TEXT;

CREATE INDEX description_tasks_queue ON description_tasks (status, created_at);
