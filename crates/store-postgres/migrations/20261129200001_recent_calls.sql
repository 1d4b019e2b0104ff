-- The wait prediction counts each person ahead by the chance that they are still there (see
-- onestop_domain::queue::predict): the bounded history of each service keeps the calls that ended
-- as no-shows beside the services (duration_ms: from the call to the no-show), and every call's
-- wait from issue to its first call (NULL for a transfer's follow-on ticket, and for the rows kept
-- before this migration).
ALTER TABLE recent_service_times ADD COLUMN no_show BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE recent_service_times ADD COLUMN waited_ms BIGINT;

DROP INDEX recent_service_times_newest;
CREATE INDEX recent_service_times_newest
    ON recent_service_times (centre, service, finished_at, ticket_id, duration_ms, no_show, waited_ms);
