DROP TABLE sponsor_changes;
DROP TABLE matching_policies;
