-- Online appointments and the notification outbox.
--
-- An appointment holds one place of a slot (centre, service, start, channel) from the moment it is
-- held: it counts against the slot's capacity while held and unexpired, confirmed, checked in or
-- marked no-show, and, once cancelled, until `released_at`. States: `held`, `confirmed`,
-- `cancelled`, `expired`, `checked_in`, `no_show`.

CREATE TABLE appointments (
    id            INTEGER PRIMARY KEY,
    reference     TEXT      NOT NULL UNIQUE,
    centre        TEXT      NOT NULL,
    service       TEXT      NOT NULL,
    channel       TEXT      NOT NULL,
    starts_at     TIMESTAMP NOT NULL,
    ends_at       TIMESTAMP NOT NULL,
    person_fin    TEXT      NOT NULL,
    person_name   TEXT      NOT NULL,
    email         TEXT,
    phone         TEXT,
    lang          TEXT      NOT NULL,
    state         TEXT      NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    code_hash     TEXT      NOT NULL,
    code_attempts INTEGER   NOT NULL,
    confirmed_at  TIMESTAMP,
    cancelled_at  TIMESTAMP,
    released_at   TIMESTAMP,
    reminded_at   TIMESTAMP,
    ticket_id     INTEGER REFERENCES tickets (id),
    replaces      INTEGER REFERENCES appointments (id)
);

-- At most one active (held or confirmed) appointment per person and service.
CREATE UNIQUE INDEX appointments_one_active ON appointments (person_fin, service)
    WHERE state IN ('held', 'confirmed');
-- Covers the count of a slot's taken places: no table row is read to count them.
CREATE INDEX appointments_slot ON appointments (centre, service, channel, starts_at, state, expires_at, released_at);
CREATE INDEX appointments_start ON appointments (state, starts_at);
CREATE INDEX appointments_ticket ON appointments (ticket_id);

-- Each no-show of a person, for the cool-down before booking again.
CREATE TABLE appointment_no_shows (
    appointment_id INTEGER   PRIMARY KEY REFERENCES appointments (id),
    person_fin     TEXT      NOT NULL,
    at             TIMESTAMP NOT NULL
);

CREATE INDEX appointment_no_shows_person ON appointment_no_shows (person_fin, at);

-- Messages to send, written in the transaction of the event that causes them and delivered by
-- the server's outbox worker. States: `pending`, `sent`, `failed` (gave up after the last try).
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    created_at      TIMESTAMP NOT NULL,
    channel         TEXT      NOT NULL,
    recipient       TEXT      NOT NULL,
    subject         TEXT      NOT NULL,
    body            TEXT      NOT NULL,
    topic           TEXT      NOT NULL,
    record          TEXT,
    state           TEXT      NOT NULL,
    attempts        INTEGER   NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT,
    sent_at         TIMESTAMP
);

CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_recipient ON outbox (recipient, id);
