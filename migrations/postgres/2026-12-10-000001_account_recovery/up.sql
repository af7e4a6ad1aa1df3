-- A session gets an id of its own, so that pages can name it without its token's hash.
ALTER TABLE session_tokens ADD COLUMN id TEXT;
UPDATE session_tokens SET id = gen_random_uuid()::text;
ALTER TABLE session_tokens ALTER COLUMN id SET NOT NULL;
CREATE UNIQUE INDEX session_tokens_by_id ON session_tokens (id);

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
