-- Batch IDs are pruned after store.BatchRetention; this index keeps that cheap.
CREATE INDEX report_batches_applied ON report_batches (applied);
