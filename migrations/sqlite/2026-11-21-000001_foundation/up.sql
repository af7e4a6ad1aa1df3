-- Ids are UUIDv7 in text form; times are UTC.
CREATE TABLE programs (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    max_sponsor_capacity INTEGER NOT NULL DEFAULT 5 CHECK (max_sponsor_capacity BETWEEN 1 AND 50),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    program_id TEXT NOT NULL REFERENCES programs (id),
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('program_admin', 'case_manager', 'sponsor')),
    password_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_by_program ON users (program_id, id);

CREATE TABLE session_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX session_tokens_by_user ON session_tokens (user_id);

-- An account comes into being only when its invite is accepted, so inviting an address
-- reveals nothing about accounts in other programs.
CREATE TABLE invites (
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
CREATE INDEX invites_by_program_email ON invites (program_id, email);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    program_id TEXT NOT NULL REFERENCES programs (id),
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_keys_by_program ON api_keys (program_id, id);

-- Matching fields only; how to reach the sponsor lives in sponsor_contacts.
CREATE TABLE sponsor_profiles (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    program_id TEXT NOT NULL REFERENCES programs (id),
    alias TEXT NOT NULL,
    fellowships TEXT NOT NULL,
    sobriety_date DATE NOT NULL,
    gender TEXT NOT NULL,
    sponsors_genders TEXT NOT NULL,
    age_band TEXT,
    languages TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    availability TEXT NOT NULL,
    meets_by_phone BOOLEAN NOT NULL,
    meets_by_video BOOLEAN NOT NULL,
    in_person_latitude REAL,
    in_person_longitude REAL,
    in_person_radius_km REAL,
    capacity INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'paused')),
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX sponsor_profiles_by_program ON sponsor_profiles (program_id, user_id);

CREATE TABLE sponsor_contacts (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES sponsor_profiles (user_id),
    email TEXT,
    phone TEXT
);

CREATE TABLE seekers (
    id TEXT PRIMARY KEY NOT NULL,
    program_id TEXT NOT NULL REFERENCES programs (id),
    alias TEXT NOT NULL,
    fellowships TEXT NOT NULL,
    gender TEXT NOT NULL,
    gender_preference TEXT NOT NULL,
    languages TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    availability TEXT NOT NULL,
    meets_by_phone BOOLEAN NOT NULL,
    meets_by_video BOOLEAN NOT NULL,
    in_person_latitude REAL,
    in_person_longitude REAL,
    in_person_radius_km REAL,
    needs TEXT NOT NULL,
    preferences TEXT NOT NULL,
    discharge_date DATE,
    internal_notes TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX seekers_by_program ON seekers (program_id, id);

CREATE TABLE seeker_contacts (
    seeker_id TEXT PRIMARY KEY NOT NULL REFERENCES seekers (id),
    email TEXT,
    phone TEXT
);

CREATE TABLE consents (
    id TEXT PRIMARY KEY NOT NULL,
    seeker_id TEXT NOT NULL REFERENCES seekers (id),
    program_id TEXT NOT NULL REFERENCES programs (id),
    discloser TEXT NOT NULL,
    recipient_class TEXT NOT NULL,
    information TEXT NOT NULL,
    purpose TEXT NOT NULL,
    signed_by TEXT NOT NULL,
    signed_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revocation_instructions TEXT NOT NULL,
    revoked_at TIMESTAMP,
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX consents_by_seeker ON consents (seeker_id, id);

-- Who touched which protected record; never the protected values themselves.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    program_id TEXT NOT NULL REFERENCES programs (id),
    actor_kind TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    request_id TEXT,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_by_program ON audit_events (program_id, id);
