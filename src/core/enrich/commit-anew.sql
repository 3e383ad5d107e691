-- Inside the transaction of an enrichment that made every fact anew: its sides replace the stored ones and its
-- new observers are stored (then the facts and windows made anew are swapped in, see conversations.ts).
DELETE FROM endpoints; INSERT INTO endpoints SELECT * FROM fl_endpoints;
INSERT INTO observers SELECT obs, interface_id, obs_vpc FROM fl_observer WHERE new;
