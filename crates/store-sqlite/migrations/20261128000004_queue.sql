-- The queue of each centre: ticket counters (one per centre, prefix letter and day; groups that
-- share a letter share its counter), tickets with every step of their life, officers signed in to windows, and the per-centre event log that live
-- screens follow. Names are the domain's canonical ones (states `waiting`, `called`, …; outcomes
-- `served`, `not_served`, …). Window numbers are in `window_number` columns (`window` is an SQL keyword).

CREATE TABLE ticket_counters (
    centre TEXT    NOT NULL,
    prefix TEXT    NOT NULL,
    day    DATE    NOT NULL,
    issued INTEGER NOT NULL,
    PRIMARY KEY (centre, prefix, day)
);

CREATE TABLE tickets (
    id               INTEGER PRIMARY KEY,
    centre           TEXT      NOT NULL,
    service          TEXT      NOT NULL,
    grp              TEXT      NOT NULL,
    day              DATE      NOT NULL,
    prefix           TEXT      NOT NULL,
    sequence         INTEGER   NOT NULL,
    number           TEXT      NOT NULL,
    origin           TEXT      NOT NULL,
    appointment_at   TIMESTAMP,
    priority         TEXT,
    issued_at        TIMESTAMP NOT NULL,
    reserved_for     INTEGER,
    follows          INTEGER REFERENCES tickets (id),
    state            TEXT      NOT NULL,
    window_number    INTEGER,
    state_at         TIMESTAMP NOT NULL,
    recalls          INTEGER   NOT NULL,
    park_reason      TEXT,
    park_note        TEXT,
    outcome          TEXT,
    outcome_reason   TEXT,
    transfer_service TEXT,
    transfer_window  INTEGER,
    holder_fin       TEXT,
    holder_name      TEXT
);

-- A number is issued once per centre and day; the follow-on tickets of a transfer keep it.
CREATE UNIQUE INDEX tickets_number ON tickets (centre, day, number) WHERE follows IS NULL;
CREATE INDEX tickets_state ON tickets (centre, day, state);
CREATE INDEX tickets_finished ON tickets (centre, service, state_at)
    WHERE outcome IN ('served', 'not_served');

-- The newest service durations of each service at each centre (at most 100 each, the oldest pruned
-- as new ones arrive), so the wait prediction reads a bounded history, not every finished ticket.
CREATE TABLE recent_service_times (
    ticket_id   INTEGER     PRIMARY KEY REFERENCES tickets (id),
    centre      TEXT        NOT NULL,
    service     TEXT        NOT NULL,
    finished_at TIMESTAMP   NOT NULL,
    duration_ms INTEGER     NOT NULL
);

CREATE INDEX recent_service_times_newest ON recent_service_times (centre, service, finished_at);

CREATE TABLE ticket_steps (
    ticket_id     INTEGER   NOT NULL REFERENCES tickets (id),
    seq           INTEGER   NOT NULL,
    at            TIMESTAMP NOT NULL,
    action        TEXT      NOT NULL,
    from_state    TEXT      NOT NULL,
    to_state      TEXT      NOT NULL,
    window_number INTEGER,
    PRIMARY KEY (ticket_id, seq)
);

CREATE TABLE queue_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    centre        TEXT      NOT NULL,
    at            TIMESTAMP NOT NULL,
    kind          TEXT      NOT NULL,
    ticket_id     INTEGER REFERENCES tickets (id),
    number        TEXT,
    service       TEXT,
    window_number INTEGER,
    waiting       INTEGER
);

CREATE INDEX queue_events_centre ON queue_events (centre, id);

CREATE TABLE window_sessions (
    centre        TEXT      NOT NULL,
    window_number INTEGER   NOT NULL,
    staff_id      INTEGER   NOT NULL UNIQUE REFERENCES staff (id),
    login         TEXT      NOT NULL,
    since         TIMESTAMP NOT NULL,
    PRIMARY KEY (centre, window_number)
);
