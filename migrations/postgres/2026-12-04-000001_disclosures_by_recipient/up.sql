-- A sponsor's requests read what was disclosed to them, by recipient and match.
CREATE INDEX disclosures_by_recipient ON disclosures (recipient_id, match_id);
