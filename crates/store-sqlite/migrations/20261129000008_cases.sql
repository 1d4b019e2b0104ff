-- Applications accepted at a window (#7): the application with its tracking number and legal
-- deadline, its append-only action log (one row per workflow action, each with the client's
-- idempotency key), the bills of its fees, payments (at a bank section, a payment terminal or
-- online), online payments through an acquirer, and refunds.
--
-- `applications.state` and the `paid`/`refunded` columns of `bills` are projections of the
-- append-only rows, written in the same transaction; the rows are never updated.

-- The last tracking sequence number given out per year.
CREATE TABLE tracking_counters (
    year INTEGER   PRIMARY KEY,
    last INTEGER   NOT NULL
);

CREATE TABLE applications (
    id               INTEGER   PRIMARY KEY,
    tracking         TEXT      NOT NULL UNIQUE,
    centre           TEXT      NOT NULL,
    provider         TEXT      NOT NULL,
    service          TEXT      NOT NULL,
    workflow         TEXT      NOT NULL,
    ticket_id        INTEGER   REFERENCES tickets (id),
    officer          TEXT      NOT NULL,
    applicant_fin    TEXT      NOT NULL,
    applicant_name   TEXT,
    contact_email    TEXT,
    contact_phone    TEXT,
    lang             TEXT      NOT NULL,
    documents        TEXT      NOT NULL,
    state            TEXT      NOT NULL,
    state_since      TIMESTAMP NOT NULL,
    state_due_on     DATE,
    accepted_at      TIMESTAMP NOT NULL,
    accepted_on      DATE      NOT NULL,
    deadline_on      DATE      NOT NULL,
    done_at          TIMESTAMP,
    done_on          DATE,
    delivery_address TEXT,
    actions          INTEGER   NOT NULL
);

CREATE INDEX applications_centre ON applications (centre, accepted_at);
CREATE INDEX applications_open ON applications (state, deadline_on);
CREATE INDEX applications_fin ON applications (applicant_fin);
CREATE UNIQUE INDEX applications_ticket ON applications (ticket_id);

CREATE TABLE application_actions (
    application_id  INTEGER   NOT NULL REFERENCES applications (id),
    seq             INTEGER   NOT NULL,
    at              TIMESTAMP NOT NULL,
    action          TEXT      NOT NULL,
    from_state      TEXT,
    to_state        TEXT      NOT NULL,
    actor           TEXT      NOT NULL,
    role            TEXT      NOT NULL,
    reason          TEXT,
    idempotency_key TEXT,
    PRIMARY KEY (application_id, seq),
    UNIQUE (application_id, idempotency_key)
);

CREATE TABLE bills (
    id             INTEGER   PRIMARY KEY,
    reference      TEXT      NOT NULL UNIQUE,
    application_id INTEGER   NOT NULL REFERENCES applications (id),
    purpose        TEXT      NOT NULL,
    centre         TEXT      NOT NULL,
    provider       TEXT      NOT NULL,
    service        TEXT      NOT NULL,
    state_fee      INTEGER   NOT NULL CHECK (state_fee >= 0),
    service_fee    INTEGER   NOT NULL CHECK (service_fee >= 0),
    total          INTEGER   NOT NULL CHECK (total >= 0),
    currency       TEXT      NOT NULL,
    waivers        TEXT      NOT NULL,
    issued_at      TIMESTAMP NOT NULL,
    issued_on      DATE      NOT NULL,
    paid           INTEGER   NOT NULL CHECK (paid >= 0 AND paid <= total),
    refunded       INTEGER   NOT NULL CHECK (refunded >= 0 AND refunded <= paid),
    cancelled_at   TIMESTAMP,
    cancelled_on   DATE
);

CREATE INDEX bills_centre ON bills (centre, issued_on);
CREATE INDEX bills_application ON bills (application_id);

CREATE TABLE payments (
    id       INTEGER   PRIMARY KEY,
    bill_id  INTEGER   NOT NULL UNIQUE REFERENCES bills (id),
    amount   INTEGER   NOT NULL CHECK (amount > 0),
    currency TEXT      NOT NULL,
    channel  TEXT      NOT NULL,
    centre   TEXT      NOT NULL,
    taken_by TEXT      NOT NULL,
    at       TIMESTAMP NOT NULL,
    on_day   DATE      NOT NULL
);

CREATE INDEX payments_centre ON payments (centre, on_day);

CREATE TABLE online_payments (
    id          TEXT      PRIMARY KEY,
    bill_id     INTEGER   NOT NULL REFERENCES bills (id),
    amount      INTEGER   NOT NULL CHECK (amount > 0),
    currency    TEXT      NOT NULL,
    description TEXT      NOT NULL,
    return_url  TEXT,
    status      TEXT      NOT NULL,
    acquirer    TEXT      NOT NULL,
    auth_code   TEXT,
    card_brand  TEXT,
    card_last4  TEXT,
    failure     TEXT,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE INDEX online_payments_bill ON online_payments (bill_id);

CREATE TABLE refunds (
    id           INTEGER   PRIMARY KEY,
    bill_id      INTEGER   NOT NULL REFERENCES bills (id),
    centre       TEXT      NOT NULL,
    amount       INTEGER   NOT NULL CHECK (amount > 0),
    reason       TEXT      NOT NULL,
    note         TEXT,
    state        TEXT      NOT NULL,
    requested_by TEXT      NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    decided_by   TEXT,
    decided_at   TIMESTAMP,
    executed_by  TEXT,
    executed_at  TIMESTAMP,
    executed_on  DATE
);

CREATE INDEX refunds_bill ON refunds (bill_id);
CREATE INDEX refunds_centre ON refunds (centre, executed_on);
