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
    lang            TEXT      NOT NULL,
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

-- The Bank of Ideas: ideas, each commission member's score per published criterion, rewards.
CREATE TABLE ideas (
    id           INTEGER PRIMARY KEY,
    reference    TEXT      NOT NULL UNIQUE,
    title        TEXT      NOT NULL,
    body         TEXT      NOT NULL,
    author_name  TEXT,
    contact      TEXT,
    status       TEXT      NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    decided_at   TIMESTAMP,
    decided_by   TEXT
);

CREATE TABLE idea_scores (
    idea_id   INTEGER   NOT NULL REFERENCES ideas (id),
    member    TEXT      NOT NULL,
    criterion TEXT      NOT NULL,
    score     INTEGER   NOT NULL CHECK (score BETWEEN 0 AND 5),
    at        TIMESTAMP NOT NULL,
    PRIMARY KEY (idea_id, member, criterion)
);

CREATE TABLE idea_rewards (
    idea_id      INTEGER   PRIMARY KEY REFERENCES ideas (id),
    amount_minor INTEGER   NOT NULL CHECK (amount_minor > 0),
    currency     TEXT      NOT NULL,
    note         TEXT,
    at           TIMESTAMP NOT NULL
);

-- Surveys: questions and answers as JSON text (scale, choice and text questions).
CREATE TABLE surveys (
    id           INTEGER PRIMARY KEY,
    code         TEXT      NOT NULL UNIQUE,
    title        TEXT      NOT NULL,
    questions    TEXT      NOT NULL,
    channels     TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    published_at TIMESTAMP
);

CREATE TABLE survey_responses (
    id        INTEGER PRIMARY KEY,
    survey_id INTEGER   NOT NULL REFERENCES surveys (id),
    channel   TEXT      NOT NULL,
    at        TIMESTAMP NOT NULL,
    answers   TEXT      NOT NULL
);

CREATE INDEX survey_responses_survey ON survey_responses (survey_id, id);
