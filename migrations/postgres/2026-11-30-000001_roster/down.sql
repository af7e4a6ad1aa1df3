DROP INDEX invites_by_email;
DROP INDEX roster_entries_by_invite;
DROP TABLE roster_entries;
-- Invites without an inviting user cannot go back into a NOT NULL column.
DELETE FROM invites WHERE created_by IS NULL;
ALTER TABLE invites ALTER COLUMN created_by SET NOT NULL;
