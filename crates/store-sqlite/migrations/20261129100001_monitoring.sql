-- Monitoring: the officer signed in at the window of each ticket step (the statistics attribute a
-- ticket to the officer of its last step at a window), the rollups of folded days and months, and
-- each centre's fold watermark (see onestop_store::monitoring).

ALTER TABLE ticket_steps ADD COLUMN officer TEXT;

-- One row per cell of a cuboid (flow, hours, officers, ratings, applications, payments) per day (grain 'd') or month
-- (grain 'm', period = its first day). Dimensions a cuboid lacks are '' (hour -1); the hours
-- cuboid's `hour` is the weekday × 100 plus the local hour (109: Monday 09). Histograms are
-- `bucket:count` pairs (onestop_domain::monitoring::hist).
CREATE TABLE stat_cells (
    cuboid       TEXT    NOT NULL,
    grain        TEXT    NOT NULL,
    period       DATE    NOT NULL,
    centre       TEXT    NOT NULL,
    service      TEXT    NOT NULL,
    provider     TEXT    NOT NULL,
    origin       TEXT    NOT NULL,
    hour         INTEGER NOT NULL,
    officer      TEXT    NOT NULL,
    channel      TEXT    NOT NULL,
    tickets      INTEGER NOT NULL,
    visits       INTEGER NOT NULL,
    called       INTEGER NOT NULL,
    served       INTEGER NOT NULL,
    not_served   INTEGER NOT NULL,
    no_show      INTEGER NOT NULL,
    transferred  INTEGER NOT NULL,
    abandoned    INTEGER NOT NULL,
    closed       INTEGER NOT NULL,
    over_norm    INTEGER NOT NULL,
    wait_n       INTEGER NOT NULL,
    wait_sum     INTEGER NOT NULL,
    wait_hist    TEXT    NOT NULL,
    service_n    INTEGER NOT NULL,
    service_sum  INTEGER NOT NULL,
    service_hist TEXT    NOT NULL,
    ratings      INTEGER NOT NULL,
    rating_sum   INTEGER NOT NULL,
    satisfied    INTEGER NOT NULL,
    accepted     INTEGER NOT NULL,
    finished     INTEGER NOT NULL,
    on_time      INTEGER NOT NULL,
    payments     INTEGER NOT NULL,
    paid         INTEGER NOT NULL,
    refunded     INTEGER NOT NULL,
    PRIMARY KEY (cuboid, grain, period, centre, service, provider, origin, hour, officer, channel)
) WITHOUT ROWID;

-- A day's applications are read by the day they were accepted or finished.
CREATE INDEX applications_accepted_on ON applications (centre, accepted_on);
CREATE INDEX applications_done_on ON applications (centre, done_on);

CREATE TABLE stat_folds (
    centre    TEXT      PRIMARY KEY,
    through   DATE      NOT NULL,
    folded_at TIMESTAMP NOT NULL
);

-- The monitoring department's verdict on a complaint: upheld or not (officers' appraisals count the
-- upheld complaints about them).
CREATE TABLE complaint_verdicts (
    complaint_id INTEGER   PRIMARY KEY REFERENCES complaints (id),
    upheld       BOOLEAN   NOT NULL,
    decided_by   TEXT      NOT NULL,
    decided_at   TIMESTAMP NOT NULL
);

-- Managers' comments on an officer's appraisal of a period (`2026-11`, `2026-Q4`, `2026`), kept.
CREATE TABLE appraisal_comments (
    id      INTEGER   PRIMARY KEY,
    officer TEXT      NOT NULL,
    period  TEXT      NOT NULL,
    author  TEXT      NOT NULL,
    at      TIMESTAMP NOT NULL,
    body    TEXT      NOT NULL
);

CREATE INDEX appraisal_comments_officer ON appraisal_comments (officer, id);

-- The ASAN Service Index: manual inputs where no data can exist (a provider's training hours per
-- officer in a quarter, in tenths of an hour), and each service's scores per quarter in tenths
-- (0–1000) with the methodology version and the inputs they came from (JSON).
CREATE TABLE index_inputs (
    quarter        TEXT      NOT NULL,
    provider       TEXT      NOT NULL,
    training_tenths INTEGER  NOT NULL,
    entered_by     TEXT      NOT NULL,
    entered_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (quarter, provider)
);

CREATE TABLE index_scores (
    quarter      TEXT      NOT NULL,
    service      TEXT      NOT NULL,
    provider     TEXT      NOT NULL,
    methodology  TEXT      NOT NULL,
    information  INTEGER   NOT NULL,
    duration     INTEGER   NOT NULL,
    electronic   INTEGER   NOT NULL,
    training     INTEGER   NOT NULL,
    feedback     INTEGER   NOT NULL,
    satisfaction INTEGER   NOT NULL,
    total        INTEGER   NOT NULL,
    breakdown    TEXT      NOT NULL,
    computed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (quarter, service)
);

-- Reports the scheduled job produced for closed periods (network scope '' or a centre's code).
CREATE TABLE reports (
    id           INTEGER   PRIMARY KEY,
    period       TEXT      NOT NULL,
    scope        TEXT      NOT NULL,
    format       TEXT      NOT NULL,
    generated_at TIMESTAMP NOT NULL,
    body         BLOB      NOT NULL,
    UNIQUE (period, scope, format)
);
