-- How matches move: review before the sponsor sees a request, how long a sponsor has
-- to answer (shorter for seekers about to leave treatment), and whether an expired
-- request moves on to the next candidate.
ALTER TABLE matching_policies ADD COLUMN review_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE matching_policies ADD COLUMN answer_within_hours INTEGER NOT NULL DEFAULT 72;
ALTER TABLE matching_policies ADD COLUMN urgent_answer_within_hours INTEGER NOT NULL DEFAULT 24;
ALTER TABLE matching_policies ADD COLUMN auto_advance BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE matches (
    id TEXT PRIMARY KEY NOT NULL,
    program_id TEXT NOT NULL REFERENCES programs (id),
    seeker_id TEXT NOT NULL REFERENCES seekers (id),
    sponsor_id TEXT NOT NULL REFERENCES sponsor_profiles (user_id),
    state TEXT NOT NULL,
    -- The score and its breakdown when proposed, as JSON.
    score DOUBLE PRECISION NOT NULL,
    breakdown TEXT NOT NULL,
    policy_version INTEGER NOT NULL,
    urgent BOOLEAN NOT NULL,
    -- Until when the party now asked may answer.
    answer_by TIMESTAMP,
    reason TEXT,
    -- The sponsor's consent, given with their yes, to share their contact details with
    -- this seeker at introduction.
    sponsor_contact_consent_at TIMESTAMP,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- A seeker has at most one match under way, however many requests race.
CREATE UNIQUE INDEX matches_one_live_per_seeker ON matches (seeker_id)
    WHERE state IN ('proposed', 'pending_review', 'awaiting_sponsor', 'awaiting_seeker',
                    'agreed', 'introduced', 'active');
CREATE INDEX matches_by_seeker ON matches (seeker_id, id);
CREATE INDEX matches_by_sponsor ON matches (sponsor_id, state);
CREATE INDEX matches_by_program ON matches (program_id, state, id);
CREATE INDEX matches_due ON matches (answer_by) WHERE answer_by IS NOT NULL;

-- Every step of every match: who, when, why.
CREATE TABLE match_transitions (
    id TEXT PRIMARY KEY NOT NULL,
    match_id TEXT NOT NULL REFERENCES matches (id),
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    reason TEXT,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX match_transitions_by_match ON match_transitions (match_id, id);

-- The first answer to a POST with an Idempotency-Key, replayed for repeats.
CREATE TABLE idempotency_keys (
    caller_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (caller_id, idempotency_key)
);

-- What of a seeker's record went to whom, when, under which consent (42 CFR 2.24).
CREATE TABLE disclosures (
    id TEXT PRIMARY KEY NOT NULL,
    program_id TEXT NOT NULL REFERENCES programs (id),
    seeker_id TEXT NOT NULL REFERENCES seekers (id),
    match_id TEXT NOT NULL REFERENCES matches (id),
    recipient_id TEXT NOT NULL,
    items TEXT NOT NULL,
    purpose TEXT NOT NULL,
    consent_id TEXT REFERENCES consents (id),
    disclosed_at TIMESTAMP NOT NULL
);
CREATE INDEX disclosures_by_seeker ON disclosures (seeker_id, id);

-- Messages written with the transition that causes them; a worker delivers them.
-- The content is rendered at delivery from current records, so a revoked consent or
-- a withdrawn match stops a message still waiting.
CREATE TABLE outbox_messages (
    id TEXT PRIMARY KEY NOT NULL,
    program_id TEXT NOT NULL REFERENCES programs (id),
    match_id TEXT REFERENCES matches (id),
    kind TEXT NOT NULL,
    -- One message per (match, kind): an introduction is created once. Webhooks, one
    -- per step, add the step's id.
    dedupe_key TEXT NOT NULL UNIQUE,
    -- What a webhook reports, fixed when the step happened; emails keep none.
    payload TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'dead', 'cancelled')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_by_program ON outbox_messages (program_id, status, id);
CREATE INDEX outbox_by_match ON outbox_messages (match_id);

-- A program's portal endpoint for signed notifications of match steps.
CREATE TABLE program_webhooks (
    program_id TEXT PRIMARY KEY NOT NULL REFERENCES programs (id),
    url TEXT NOT NULL,
    -- Signs each delivery (HMAC-SHA256); shown to the admin once.
    secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Instances re-read the last seconds of the sponsor change log on every look.
CREATE INDEX sponsor_changes_by_time ON sponsor_changes (changed_at);
