-- Upstream OpenID Connect sign-ins in flight (#17): what the callback needs to finish the one a
-- browser started. `state_hash` is the SHA-256 of the `state` sent to the provider, the row is
-- bound to the browser session that started it, and the callback deletes it as it reads it, so
-- a replayed or forged callback finds nothing. Unused rows are purged once expired.
CREATE TABLE upstream_logins (
    state_hash    TEXT PRIMARY KEY,
    session_hash  TEXT NOT NULL,
    provider_id   TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX upstream_logins_expires_at_idx ON upstream_logins (expires_at);
