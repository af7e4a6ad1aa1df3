DROP TABLE password_resets;
DROP INDEX session_tokens_by_id;
ALTER TABLE session_tokens DROP COLUMN id;
