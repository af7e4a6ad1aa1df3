DROP INDEX check_ins_open;
DROP TABLE check_ins;
