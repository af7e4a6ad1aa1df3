-- Invites made by a roster import from the operator's command line have no inviting
-- user. SQLite cannot drop NOT NULL in place: the table is rebuilt with its rows.
CREATE TABLE invites_new (
    id TEXT PRIMARY KEY NOT NULL,
    program_id TEXT NOT NULL REFERENCES programs (id),
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('program_admin', 'case_manager', 'sponsor')),
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    user_id TEXT REFERENCES users (id)
);
INSERT INTO invites_new (id, program_id, email, display_name, role, token_hash, created_by,
                         created_at, expires_at, used_at, user_id)
    SELECT id, program_id, email, display_name, role, token_hash, created_by,
           created_at, expires_at, used_at, user_id
    FROM invites;
DROP TABLE invites;
ALTER TABLE invites_new RENAME TO invites;
CREATE INDEX invites_by_program_email ON invites (program_id, email);

-- A program's sponsor roster as last imported: one row per external id (the program's
-- own id for the person), so importing the same file again changes nothing.
CREATE TABLE roster_entries (
    program_id TEXT NOT NULL REFERENCES programs (id),
    external_id TEXT NOT NULL,
    -- The invite sent for the entry; NULL once another invite to the address replaced it.
    invite_id TEXT REFERENCES invites (id) ON DELETE SET NULL,
    -- SHA-256 of the row as last applied: email, display name and profile.
    content_hash TEXT NOT NULL,
    -- The profile as PUT /sponsors/me takes it (JSON), kept until the invite is accepted
    -- and the sponsor's profile is made from it; NULL after.
    profile TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    -- External id first: an import looks entries up by a thousand external ids at a time.
    PRIMARY KEY (external_id, program_id)
);
CREATE INDEX roster_entries_by_invite ON roster_entries (invite_id);
-- An import looks invites up by a thousand addresses at a time, whatever the program.
CREATE INDEX invites_by_email ON invites (email);
