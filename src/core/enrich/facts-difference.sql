-- Before the transaction, when appending: what the new facts change in the stored ones. The facts taken back
-- (fl_pulled_all, with their rowids) and the new ones (fl_facts_new) are grouped as whole rows (every column, NULLs
-- equal): a row made as often as it was taken back changes nothing and is left out, so that the commit neither
-- deletes it nor writes it again (most of what is taken back comes out the same: a long connection's earlier minutes
-- when its new minute arrives). Of a row made more often, made - taken copies are written; of one taken back more
-- often, all but `made` of its rows are deleted. (A group is one fact, but for facts alike in every column.)
CREATE OR REPLACE TEMP TABLE fl_facts_changed AS
SELECT * EXCLUDE (frid), count(frid) AS taken, count(*) - count(frid) AS made, list(frid) FILTER (WHERE frid IS NOT NULL) AS frids
FROM (SELECT NULL::BIGINT AS frid, * FROM fl_facts_new UNION ALL BY NAME SELECT * FROM fl_pulled_all)
GROUP BY ALL
HAVING count(frid) <> count(*) - count(frid);
DROP TABLE fl_facts_new; DROP TABLE fl_pulled_all;
