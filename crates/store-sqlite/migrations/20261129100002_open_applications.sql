-- Monitoring counts the applications still open past their legal deadline on every dashboard and
-- report: from the open ones only, not from every application ever accepted.
CREATE INDEX applications_open_deadline ON applications (deadline_on) WHERE done_at IS NULL;
