-- 0003: face galleries. One gallery per (client, gallery name) and one embedder: embeddings of
-- different models never mix. Persons and embeddings are tenant-scoped rows; deleting a person
-- deletes its embeddings and crops (ON DELETE CASCADE). The per-tenant generation lives in
-- state_generations (kind 'face-gallery', scope '<client>/<gallery>/<tenant>').
-- One index per table besides the keys on purpose: with a second index led by (client, gallery, tenant)
-- the planner, before statistics exist, picked it and filtered every row of the tenant for a lookup
-- by person (8 ms instead of 0.3 ms at 10k persons).

CREATE TABLE face_galleries (
    client     TEXT NOT NULL,
    gallery    TEXT NOT NULL,
    embedder   TEXT NOT NULL,
    dim        INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (client, gallery)
);

CREATE TABLE face_persons (
    client       TEXT NOT NULL,
    gallery      TEXT NOT NULL,
    tenant       TEXT NOT NULL,
    person_id    TEXT NOT NULL,
    display_name TEXT NOT NULL,
    created_at   DOUBLE PRECISION NOT NULL,
    updated_at   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (client, gallery, tenant, person_id),
    FOREIGN KEY (client, gallery) REFERENCES face_galleries (client, gallery) ON DELETE CASCADE
);

CREATE TABLE face_embeddings (
    id         BIGSERIAL PRIMARY KEY,
    client     TEXT NOT NULL,
    gallery    TEXT NOT NULL,
    tenant     TEXT NOT NULL,
    person_id  TEXT NOT NULL,
    vector     BYTEA NOT NULL,             -- dim little-endian float32
    face_image BYTEA,                      -- optional JPEG crop
    created_at DOUBLE PRECISION NOT NULL,
    quality    REAL NOT NULL DEFAULT 1.0,  -- reference weight in (0, 1]
    FOREIGN KEY (client, gallery, tenant, person_id)
        REFERENCES face_persons (client, gallery, tenant, person_id) ON DELETE CASCADE
);
CREATE INDEX face_embeddings_by_person ON face_embeddings (client, gallery, tenant, person_id, id);
