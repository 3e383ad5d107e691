-- Numbering, before the parts of a re-attribution (the inventory changed: the stored facts are attributed again,
-- no record is read): every address the stored facts to attribute (fl_stored: all of them, or those a change
-- covers, see covered-facts.sql) name, numbered, and the stored observers.
CREATE OR REPLACE TEMP TABLE fl_addr AS
SELECT row_number() OVER ()::INTEGER AS id, addr FROM (SELECT client_addr AS addr FROM fl_stored UNION SELECT server_addr FROM fl_stored);
CREATE OR REPLACE TEMP TABLE fl_observer AS SELECT obs, eni AS interface_id, vpc AS obs_vpc, false AS new FROM observers;
