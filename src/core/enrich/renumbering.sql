-- Numbering, before the parts of a re-attribution (the inventory changed: every stored fact is attributed
-- again, no record is read): every address the stored facts name, numbered, and the stored observers.
CREATE OR REPLACE TEMP TABLE fl_addr AS
SELECT row_number() OVER ()::INTEGER AS id, addr FROM (SELECT client_addr AS addr FROM conversation_facts UNION SELECT server_addr FROM conversation_facts);
CREATE OR REPLACE TEMP TABLE fl_observer AS SELECT obs, eni AS interface_id, vpc AS obs_vpc, false AS new FROM observers;
