-- Inside every enrichment's transaction: what the stored facts are now attributed with (basis.sql), which the
-- next enrichment compares its inventory with.
DELETE FROM attribution_basis;
INSERT INTO attribution_basis SELECT * FROM fl_basis_now;
