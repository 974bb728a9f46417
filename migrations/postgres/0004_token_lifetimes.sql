-- Tokens an operator can name, give an expiry and revoke. A revoked or
-- expired token stays listed (who had access until when) but no longer
-- authenticates.
ALTER TABLE tokens ADD COLUMN label TEXT;
ALTER TABLE tokens ADD COLUMN expires_ms BIGINT;
ALTER TABLE tokens ADD COLUMN revoked_at TEXT;
