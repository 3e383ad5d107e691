-- A re-attribution of what an inventory change covers (after inventory-change.sql, before renumbering.sql): the
-- stored facts a changed span can move are taken back into fl_pulled_all (the commit replaces them, as when
-- appending, see commit-append.sql), and they are the stored facts the parts read (fl_stored).
-- First by the sides alone (hash probes into a few keys), then by time on the few facts found.
CREATE OR REPLACE TEMP TABLE fl_candidates AS
SELECT f.rowid AS frid, f.* FROM conversation_facts f
WHERE f.client_addr IN (SELECT addr FROM fl_changed WHERE addr IS NOT NULL)
   OR f.server_addr IN (SELECT addr FROM fl_changed WHERE addr IS NOT NULL)
   OR f.observer IN (SELECT obs FROM fl_changed WHERE obs IS NOT NULL)
   OR f.server_observer IN (SELECT obs FROM fl_changed WHERE obs IS NOT NULL)
   OR f.client_ep IN (SELECT ep FROM fl_changed WHERE ep IS NOT NULL)
   OR f.server_ep IN (SELECT ep FROM fl_changed WHERE ep IS NOT NULL);
-- (one hash join per side a span can name: a join on any of them, with OR, would be a nested loop)
INSERT INTO fl_pulled_all
SELECT * FROM fl_candidates WHERE frid IN (
  SELECT f.frid FROM fl_candidates f JOIN fl_changed c ON c.addr = f.client_addr AND fl_ts(f.start) >= c.valid_from AND fl_ts(f.start) < c.valid_to
  UNION SELECT f.frid FROM fl_candidates f JOIN fl_changed c ON c.addr = f.server_addr AND fl_ts(f.start) >= c.valid_from AND fl_ts(f.start) < c.valid_to
  UNION SELECT f.frid FROM fl_candidates f JOIN fl_changed c ON c.obs = f.observer AND fl_ts(f.start) >= c.valid_from AND fl_ts(f.start) < c.valid_to
  UNION SELECT f.frid FROM fl_candidates f JOIN fl_changed c ON c.obs = f.server_observer AND fl_ts(f.start) >= c.valid_from AND fl_ts(f.start) < c.valid_to
  UNION SELECT f.frid FROM fl_candidates f JOIN fl_changed c ON c.ep = f.client_ep AND fl_ts(f.start) >= c.valid_from AND fl_ts(f.start) < c.valid_to
  UNION SELECT f.frid FROM fl_candidates f JOIN fl_changed c ON c.ep = f.server_ep AND fl_ts(f.start) >= c.valid_from AND fl_ts(f.start) < c.valid_to);
DROP TABLE fl_candidates;
CREATE OR REPLACE TEMP VIEW fl_stored AS SELECT * EXCLUDE (frid) FROM fl_pulled_all;
