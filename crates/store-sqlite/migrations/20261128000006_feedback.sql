-- The citizens' voice: ratings (one per ticket, given at the window that finished it; exit-poll
-- ratings of a visit have no ticket) and complaints and suggestions with their workflow history.
-- A rating names the ticket, service, provider, window and officer, never the ticket's holder.

CREATE TABLE ratings (
    id            INTEGER PRIMARY KEY,
    at            TIMESTAMP NOT NULL,
    channel       TEXT      NOT NULL,
    centre        TEXT      NOT NULL,
    ticket_id     INTEGER   UNIQUE REFERENCES tickets (id),
    service       TEXT,
    provider      TEXT,
    window_number INTEGER,
    officer       TEXT,
    score         INTEGER   NOT NULL CHECK (score BETWEEN 1 AND 5),
    reasons       TEXT      NOT NULL,
    comment       TEXT
);

CREATE INDEX ratings_at ON ratings (at);
CREATE INDEX ratings_centre ON ratings (centre, at);

CREATE TABLE complaints (
    id              INTEGER PRIMARY KEY,
    reference       TEXT      NOT NULL UNIQUE,
    channel         TEXT      NOT NULL,
    category        TEXT      NOT NULL,
    subject_kind    TEXT      NOT NULL,
    subject_code    TEXT      NOT NULL,
    centre          TEXT,
    body            TEXT      NOT NULL,
    contact_name    TEXT,
    contact_email   TEXT,
    contact_phone   TEXT,
    contact_address TEXT,
    entered_by      TEXT,
    status          TEXT      NOT NULL,
    assignee        TEXT,
    answer          TEXT,
    received_at     TIMESTAMP NOT NULL,
    received_on     DATE      NOT NULL,
    due_on          DATE      NOT NULL,
    answered_on     DATE,
    updated_at      TIMESTAMP NOT NULL,
    reopened        INTEGER   NOT NULL
);

CREATE INDEX complaints_due ON complaints (status, due_on);
CREATE INDEX complaints_received ON complaints (received_at);

CREATE TABLE complaint_steps (
    complaint_id INTEGER   NOT NULL REFERENCES complaints (id),
    seq          INTEGER   NOT NULL,
    at           TIMESTAMP NOT NULL,
    step         TEXT      NOT NULL,
    status       TEXT      NOT NULL,
    PRIMARY KEY (complaint_id, seq)
);
