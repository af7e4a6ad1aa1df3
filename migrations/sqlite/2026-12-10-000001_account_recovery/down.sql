DROP TABLE password_resets;
CREATE TABLE session_tokens_old (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
INSERT INTO session_tokens_old (token_hash, user_id, created_at, expires_at, revoked_at)
    SELECT token_hash, user_id, created_at, expires_at, revoked_at FROM session_tokens;
DROP TABLE session_tokens;
ALTER TABLE session_tokens_old RENAME TO session_tokens;
CREATE INDEX session_tokens_by_user ON session_tokens (user_id);
