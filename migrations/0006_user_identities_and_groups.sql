-- Accounts for upstream sign-in (issue 17). A user may be disabled (kept, but refused at
-- login, with every grant revoked) and carries operator-given groups for the scope policy.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN groups TEXT NOT NULL DEFAULT '';

-- Who a user is at an upstream OpenID Provider: the provider's issuer and subject identify
-- the person (an e-mail address may change or repeat across providers). `groups` are the
-- provider's groups claim as last seen at login; `email` is for operators only.
CREATE TABLE user_identities (
    issuer        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider_id   TEXT NOT NULL,
    email         TEXT,
    groups        TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    last_login_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user_idx ON user_identities (user_id);
