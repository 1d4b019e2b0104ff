-- People (personal data stored once), staff accounts, sessions, device tokens, sign-in
-- throttling, and the tamper-evident audit trail with its head signatures.

CREATE TABLE persons (
    id        INTEGER PRIMARY KEY,
    full_name TEXT NOT NULL,
    fin       TEXT UNIQUE,
    phone     TEXT
);

CREATE TABLE staff (
    id                   INTEGER PRIMARY KEY,
    login                TEXT      NOT NULL UNIQUE,
    person_id            INTEGER   NOT NULL REFERENCES persons (id),
    role                 TEXT      NOT NULL,
    centre_code          TEXT,
    provider_code        TEXT,
    password_hash        TEXT      NOT NULL,
    active               BOOLEAN   NOT NULL,
    must_change_password BOOLEAN   NOT NULL,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);

CREATE INDEX staff_centre ON staff (centre_code);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT      NOT NULL UNIQUE,
    staff_id     INTEGER   NOT NULL REFERENCES staff (id),
    csrf_token   TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP,
    origin       TEXT
);

CREATE INDEX sessions_staff ON sessions (staff_id);

CREATE TABLE device_tokens (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT      NOT NULL UNIQUE,
    kind        TEXT      NOT NULL,
    centre_code TEXT      NOT NULL,
    window_code TEXT,
    label       TEXT      NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    revoked_at  TIMESTAMP
);

CREATE TABLE sign_in_throttle (
    login           TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at TIMESTAMP,
    locked_until    TIMESTAMP
);

CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TIMESTAMP NOT NULL,
    actor     TEXT      NOT NULL,
    role      TEXT,
    origin    TEXT,
    action    TEXT      NOT NULL,
    record    TEXT,
    summary   TEXT      NOT NULL,
    outcome   TEXT      NOT NULL,
    prev_hash TEXT      NOT NULL,
    hash      TEXT      NOT NULL
);

CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_record ON audit_log (record, seq);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE audit_signatures (
    seq       INTEGER PRIMARY KEY,
    hash      TEXT      NOT NULL,
    signature BLOB      NOT NULL,
    key_id    TEXT      NOT NULL,
    signed_at TIMESTAMP NOT NULL
);
