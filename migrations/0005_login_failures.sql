-- Failed logins, shared by every instance on this database: the login throttle counts the
-- rows of one account ('user:<name>') or one client address ('ip:<address>') inside its
-- window, so instances behind a load balancer give a guesser one budget, not one each.
-- Maintenance deletes rows older than the window.
CREATE TABLE login_failures (
    id           TEXT PRIMARY KEY,
    throttle_key TEXT NOT NULL,
    failed_at    BIGINT NOT NULL
);
CREATE INDEX login_failures_key_idx ON login_failures (throttle_key, failed_at);
CREATE INDEX login_failures_failed_at_idx ON login_failures (failed_at);
