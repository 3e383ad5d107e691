-- Inside the enrichment's transaction, when appending: the facts taken back that changed (fl_facts_changed, see
-- facts-difference.sql) are deleted and the changed new ones written (a fact that came out the same stays where it
-- is), and the new sides and observers are stored (then each window table gets the difference, see windows.ts).
DELETE FROM conversation_facts WHERE rowid IN (SELECT unnest(frids[made + 1:]) FROM fl_facts_changed WHERE taken > made);
INSERT INTO conversation_facts BY NAME
SELECT * EXCLUDE (taken, made, frids, copy) FROM (SELECT *, unnest(range(made - taken)) AS copy FROM fl_facts_changed WHERE made > taken);
INSERT INTO endpoints SELECT * FROM fl_endpoints WHERE ep > (SELECT coalesce(max(ep), 0) FROM endpoints);
INSERT INTO observers SELECT obs, interface_id, obs_vpc FROM fl_observer WHERE new;
