-- Idempotency keys of creating POSTs: the first answer is kept and replayed to retries.
CREATE TABLE idempotency_keys (
    scope           TEXT        NOT NULL,
    idem_key        TEXT        NOT NULL,
    fingerprint     TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    response_status INTEGER,
    response_body   BYTEA,
    PRIMARY KEY (scope, idem_key)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
