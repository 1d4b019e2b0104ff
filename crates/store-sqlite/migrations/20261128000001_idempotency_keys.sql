-- Idempotency keys of creating POSTs: the first answer is kept and replayed to retries.
-- Column types follow the dump convention (see onestop_store::dump): TIMESTAMP holds RFC 3339 UTC
-- text with six fractional digits, BOOLEAN holds 0/1, BLOB holds bytes.
CREATE TABLE idempotency_keys (
    scope           TEXT      NOT NULL,
    idem_key        TEXT      NOT NULL,
    fingerprint     TEXT      NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    response_status INTEGER,
    response_body   BLOB,
    PRIMARY KEY (scope, idem_key)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
