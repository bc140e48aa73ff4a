-- 0001: the mutable state of a deployment besides face galleries.
-- Every row is scoped by the deployment's client (and the caller's tenant where the data is a tenant's).

CREATE TABLE planograms (
    client     TEXT NOT NULL,
    tenant     TEXT NOT NULL,
    fixture_id TEXT NOT NULL,
    spec       JSONB NOT NULL,
    updated    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (client, tenant, fixture_id)
);

CREATE TABLE topic_fit_jobs (
    client    TEXT NOT NULL,
    tenant    TEXT NOT NULL,
    job_id    TEXT NOT NULL,
    record    JSONB NOT NULL,              -- the job as the caller sees it (FitJobView)
    owner     TEXT NOT NULL,               -- the process running it
    heartbeat DOUBLE PRECISION NOT NULL,   -- unix time the owner last said it is alive
    model     BYTEA,                       -- the fitted model's folder as a tar archive, once done
    PRIMARY KEY (client, tenant, job_id)
);

CREATE TABLE shadow_log (
    id     BIGSERIAL PRIMARY KEY,
    client TEXT NOT NULL,
    task   TEXT NOT NULL,
    ts     DOUBLE PRECISION NOT NULL,
    entry  JSONB NOT NULL
);
CREATE INDEX shadow_log_client_task ON shadow_log (client, task, id);

CREATE TABLE monitoring_windows (
    client   TEXT NOT NULL,
    task     TEXT NOT NULL,
    version  TEXT NOT NULL,
    start    BIGINT NOT NULL,
    length_s INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    body     TEXT NOT NULL,                -- a WindowProfile as JSON (text: an unreadable one is reported, not lost)
    updated  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (client, task, version, start, length_s)
);
CREATE INDEX monitoring_windows_client_start ON monitoring_windows (client, start);

CREATE TABLE monitoring_evaluations (
    id      BIGSERIAL PRIMARY KEY,
    client  TEXT NOT NULL,
    created DOUBLE PRECISION NOT NULL,
    type    TEXT NOT NULL,
    task    TEXT NOT NULL,
    version TEXT NOT NULL,
    body    TEXT NOT NULL
);
CREATE INDEX monitoring_evaluations_client_created ON monitoring_evaluations (client, created);

CREATE TABLE monitoring_references (
    client  TEXT NOT NULL,
    task    TEXT NOT NULL,
    version TEXT NOT NULL,
    body    TEXT NOT NULL,                 -- a ReferenceProfile as JSON
    updated DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (client, task, version)
);
