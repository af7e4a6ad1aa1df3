DROP INDEX invites_by_email;
DROP INDEX roster_entries_by_invite;
DROP TABLE roster_entries;
-- Invites without an inviting user cannot go back into a NOT NULL column.
DELETE FROM invites WHERE created_by IS NULL;
CREATE TABLE invites_old (
    id TEXT PRIMARY KEY NOT NULL,
    program_id TEXT NOT NULL REFERENCES programs (id),
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('program_admin', 'case_manager', 'sponsor')),
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    user_id TEXT REFERENCES users (id)
);
INSERT INTO invites_old (id, program_id, email, display_name, role, token_hash, created_by,
                         created_at, expires_at, used_at, user_id)
    SELECT id, program_id, email, display_name, role, token_hash, created_by,
           created_at, expires_at, used_at, user_id
    FROM invites;
DROP TABLE invites;
ALTER TABLE invites_old RENAME TO invites;
CREATE INDEX invites_by_program_email ON invites (program_id, email);
