-- Two indexes no query reads, dropped so that a queue step maintains fewer of them:
-- tickets_finished served the wait prediction's service times before recent_service_times kept a
-- bounded history of them; audit_log_action cannot serve the audit search, whose action filter
-- also matches the actions under a prefix (`ticket` matches `ticket.call`).
DROP INDEX tickets_finished;
DROP INDEX audit_log_action;
