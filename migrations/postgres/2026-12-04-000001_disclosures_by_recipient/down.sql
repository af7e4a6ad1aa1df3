DROP INDEX disclosures_by_recipient;
