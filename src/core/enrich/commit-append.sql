-- Inside the enrichment's transaction, when appending: the facts taken back are replaced by the new ones, and
-- the new sides and observers are stored (then each window table gets the difference, see windows.ts).
DELETE FROM conversation_facts WHERE rowid IN (SELECT frid FROM fl_pulled_all);
INSERT INTO conversation_facts SELECT * FROM fl_facts_new;
INSERT INTO endpoints SELECT * FROM fl_endpoints WHERE ep > (SELECT coalesce(max(ep), 0) FROM endpoints);
INSERT INTO observers SELECT obs, interface_id, obs_vpc FROM fl_observer WHERE new;
