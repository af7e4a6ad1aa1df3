-- Match health: each side of an introduced match is asked how it is going, some days
-- after the introduction. One row per (match, side, round); the unique key lets several
-- instances open rounds without sending any twice.
CREATE TABLE check_ins (
    id TEXT PRIMARY KEY NOT NULL,
    match_id TEXT NOT NULL REFERENCES matches (id),
    program_id TEXT NOT NULL REFERENCES programs (id),
    party TEXT NOT NULL,
    day INTEGER NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    answer TEXT,
    answered_at TIMESTAMP,
    followed_up_at TIMESTAMP,
    followed_up_by TEXT,
    UNIQUE (match_id, party, day)
);
-- The review queue reads the program's check-ins no case manager has followed up.
CREATE INDEX check_ins_open ON check_ins (program_id, followed_up_at);
