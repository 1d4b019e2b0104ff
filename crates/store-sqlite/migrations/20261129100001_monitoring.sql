-- Monitoring: the officer signed in at the window of each ticket step (the statistics attribute a
-- ticket to the officer of its last step at a window), the rollups of folded days and months, and
-- each centre's fold watermark (see onestop_store::monitoring).

ALTER TABLE ticket_steps ADD COLUMN officer TEXT;

-- One row per cell of a cuboid (flow, hours, officers, ratings) per day (grain 'd') or month
-- (grain 'm', period = its first day). Dimensions a cuboid lacks are '' (hour -1). Histograms are
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
    PRIMARY KEY (cuboid, grain, period, centre, service, provider, origin, hour, officer, channel)
) WITHOUT ROWID;

CREATE TABLE stat_folds (
    centre    TEXT      PRIMARY KEY,
    through   DATE      NOT NULL,
    folded_at TIMESTAMP NOT NULL
);
