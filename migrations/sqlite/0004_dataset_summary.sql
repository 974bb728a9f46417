-- What job views show of a dataset (query, result count, facet names,
-- sizes and totals), kept beside the canonical JSON so reading a job does
-- not parse the whole dataset. NULL for datasets stored before this column:
-- they are summarised from `canonical` when read.
ALTER TABLE datasets ADD COLUMN summary TEXT;
