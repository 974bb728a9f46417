-- Event levels are written as the replaced Jobs API wrote them (INFO,
-- WARNING, ERROR), so its clients' comparisons hold for old events too.
UPDATE events SET level = UPPER(level);
