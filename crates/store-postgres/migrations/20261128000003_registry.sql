-- The Electronic Registry of Public Services: each imported or edited catalogue is kept whole as a
-- new version; the newest is the registry in force. Earlier versions remain as its history.
CREATE TABLE catalogue_versions (
    version     BIGINT      PRIMARY KEY,
    saved_at    TIMESTAMPTZ NOT NULL,
    saved_by    TEXT        NOT NULL,
    label       TEXT        NOT NULL,
    sha256      TEXT        NOT NULL,
    body        TEXT        NOT NULL
);
