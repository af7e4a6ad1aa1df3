-- A program's matching policy; one row per program, versioned.
CREATE TABLE matching_policies (
    program_id TEXT PRIMARY KEY NOT NULL REFERENCES programs (id),
    min_sobriety_days INTEGER NOT NULL,
    sobriety_half_life_days INTEGER NOT NULL,
    weight_sobriety REAL NOT NULL,
    weight_availability REAL NOT NULL,
    weight_preferences REAL NOT NULL,
    weight_distance REAL NOT NULL,
    weight_load REAL NOT NULL,
    version INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

INSERT INTO matching_policies
SELECT id, 365, 730, 0.2, 0.35, 0.2, 0.1, 0.15, 1, created_at FROM programs;

-- Every change to a sponsor that matching reads, in order: instances follow it to keep
-- their rank indexes current.
CREATE TABLE sponsor_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    sponsor_id TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
