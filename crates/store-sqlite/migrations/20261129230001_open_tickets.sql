-- The index that calls, the line and the day's close seek by, (centre, day, state), held an entry
-- for every ticket of the day: a centre's few open tickets sat on leaves of their own, after the
-- day's finished ones, so every queue step rewrote a leaf that no other centre's step shared. Open
-- tickets now have an index of their own that holds only them — a handful of pages for the whole
-- network, which the steps of one group commit share — and the day's tickets of a centre, which
-- the monitoring and the day's close count, an index that a ticket enters once, when issued.
-- A query uses the open index by naming its condition, `state <> 'finished'`.
DROP INDEX tickets_state;
CREATE INDEX tickets_open ON tickets (centre, day, state) WHERE state <> 'finished';
CREATE INDEX tickets_day ON tickets (centre, day);
