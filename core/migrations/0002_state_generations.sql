-- 0002: a generation counter per piece of shared state (e.g. one tenant's face gallery), bumped in the
-- same transaction as the write, so a replica holding an in-memory copy knows when to refresh it.

CREATE TABLE state_generations (
    kind       TEXT NOT NULL,       -- e.g. 'face-gallery'
    scope      TEXT NOT NULL,       -- e.g. '<client>/<tenant>'
    generation BIGINT NOT NULL,
    PRIMARY KEY (kind, scope)
);
