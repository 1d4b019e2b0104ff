-- The wait prediction reads a centre's newest service times on every ticket it shows: from the
-- index alone, in its order, without a table row per sample.
DROP INDEX recent_service_times_newest;
CREATE INDEX recent_service_times_newest
    ON recent_service_times (centre, service, finished_at, ticket_id, duration_ms);
