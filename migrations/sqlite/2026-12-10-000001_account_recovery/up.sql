-- A session gets an id of its own, so that pages can name it without its token's hash.
ALTER TABLE session_tokens ADD COLUMN id TEXT;
UPDATE session_tokens SET id = lower(hex(randomblob(16)));
UPDATE session_tokens SET id = substr(id, 1, 8) || '-' || substr(id, 9, 4) || '-' ||
    substr(id, 13, 4) || '-' || substr(id, 17, 4) || '-' || substr(id, 21, 12);
CREATE TABLE session_tokens_new (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    id TEXT NOT NULL UNIQUE
);
INSERT INTO session_tokens_new (token_hash, user_id, created_at, expires_at, revoked_at, id)
    SELECT token_hash, user_id, created_at, expires_at, revoked_at, id FROM session_tokens;
DROP TABLE session_tokens;
ALTER TABLE session_tokens_new RENAME TO session_tokens;
CREATE INDEX session_tokens_by_user ON session_tokens (user_id);

-- A link to choose a new password, emailed on request. Its token is derived from the
-- id under the signing key; only the token's SHA-256 is kept.
CREATE TABLE password_resets (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);
