-- Which queue job filed which run record (store.JobRecordStore): a job run
-- again after its worker died hands on its earlier complete record instead
-- of filing a second one. A job is its ID and creation time (see
-- store.JobRef); seqs are the events filed with the record, as JSON.
CREATE TABLE job_records (
    job_id      INTEGER NOT NULL,
    job_created INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    site        TEXT NOT NULL,
    complete    INTEGER NOT NULL,
    result      TEXT NOT NULL,
    seqs        TEXT NOT NULL,
    recorded    INTEGER NOT NULL,
    PRIMARY KEY (job_id, job_created, attempt)
);
CREATE INDEX job_records_recorded ON job_records (recorded);
