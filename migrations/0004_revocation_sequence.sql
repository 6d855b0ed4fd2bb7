-- Cross-instance revocation polls read revocations in the order the database committed
-- them, never by instance clocks. Every revoking transaction takes the next number from this
-- one-row counter (its row lock makes later revokers wait for the commit, so numbers appear
-- in commit order) and stamps it on the access-token rows it revokes; an instance remembers
-- the highest number it has read and asks only for higher ones.
CREATE TABLE revocation_counter (
    id    BIGINT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO revocation_counter (id, value) VALUES (1, 0);

-- NULL for tokens revoked before this migration; the revocation set loads those at start.
ALTER TABLE access_tokens ADD COLUMN revocation_seq BIGINT;
CREATE INDEX access_tokens_revocation_seq_idx ON access_tokens (revocation_seq);
