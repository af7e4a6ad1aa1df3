DROP TABLE outbox_messages;
DROP TABLE disclosures;
DROP TABLE idempotency_keys;
DROP TABLE match_transitions;
DROP TABLE matches;
ALTER TABLE matching_policies DROP COLUMN auto_advance;
ALTER TABLE matching_policies DROP COLUMN urgent_answer_within_hours;
ALTER TABLE matching_policies DROP COLUMN answer_within_hours;
ALTER TABLE matching_policies DROP COLUMN review_required;
