-- When the inventory changed (rebuild.ts): what the change covers, from the basis the stored facts were attributed
-- with (attribution_basis) and the one now (fl_basis_now, basis.sql).

-- Per key whose rows differ, the spans of time in which what the old rows say differs from what the new ones say:
-- both timelines cut at every bound of either, and each piece compared.
CREATE OR REPLACE TEMP TABLE fl_basis_diff AS
WITH changed AS (
  SELECT DISTINCT kind, scope_vpc, addr, id FROM (
    (SELECT * FROM attribution_basis EXCEPT ALL SELECT * FROM fl_basis_now)
    UNION ALL
    (SELECT * FROM fl_basis_now EXCEPT ALL SELECT * FROM attribution_basis))
), both_rows AS (
  SELECT 'old' AS side, * FROM attribution_basis UNION ALL SELECT 'new', * FROM fl_basis_now
), rows AS (
  SELECT r.* FROM both_rows r SEMI JOIN changed k ON k.kind = r.kind AND k.scope_vpc IS NOT DISTINCT FROM r.scope_vpc
    AND k.addr IS NOT DISTINCT FROM r.addr AND k.id IS NOT DISTINCT FROM r.id
), cuts AS (
  SELECT kind, scope_vpc, addr, id, valid_from AS t FROM rows UNION SELECT kind, scope_vpc, addr, id, valid_to FROM rows
), pieces AS (
  SELECT kind, scope_vpc, addr, id, t AS valid_from, lead(t) OVER (PARTITION BY kind, scope_vpc, addr, id ORDER BY t) AS valid_to
  FROM cuts
), said AS (
  SELECT p.kind, p.scope_vpc, p.addr, p.id, p.valid_from, p.valid_to,
    list(r.value ORDER BY r.value) FILTER (WHERE r.side = 'old') AS old_values,
    list(r.value ORDER BY r.value) FILTER (WHERE r.side = 'new') AS new_values
  FROM pieces p LEFT JOIN rows r ON r.kind = p.kind AND r.scope_vpc IS NOT DISTINCT FROM p.scope_vpc
    AND r.addr IS NOT DISTINCT FROM p.addr AND r.id IS NOT DISTINCT FROM p.id
    AND r.valid_from <= p.valid_from AND r.valid_to >= p.valid_to
  WHERE p.valid_to IS NOT NULL
  GROUP BY ALL
)
SELECT kind, scope_vpc, addr, id, valid_from, valid_to FROM said WHERE old_values IS DISTINCT FROM new_values;

-- A change that says nothing of time and that a stored side depends on: what a side's ENI or resource is, or
-- the static row. rebuild.ts then attributes every stored fact again.
CREATE OR REPLACE TEMP TABLE fl_change_unbounded AS
SELECT count(*) AS n FROM fl_basis_diff d
WHERE kind = 'static' OR (kind = 'eni' AND id IN (SELECT eni FROM endpoints WHERE eni IS NOT NULL))
   OR (kind = 'resource' AND id IN (SELECT arn FROM endpoints WHERE arn IS NOT NULL));

-- The sides a changed span can move (attribution.sql looks each up by the conversation's start): an address
-- (as a client or server), the observer of a record whose ENI's owner changed ('!' rows), the sides of an ENI
-- whose public addresses changed.
CREATE OR REPLACE TEMP TABLE fl_changed AS
SELECT addr, NULL::INTEGER AS obs, NULL::INTEGER AS ep, valid_from, valid_to FROM fl_basis_diff
WHERE kind = 'scope' AND addr IS NOT NULL
UNION ALL
SELECT NULL, o.obs, NULL, d.valid_from, d.valid_to FROM fl_basis_diff d JOIN observers o ON o.eni = d.id
WHERE d.kind = 'scope' AND d.addr IS NULL
UNION ALL
SELECT NULL, NULL, e.ep, d.valid_from, d.valid_to FROM fl_basis_diff d JOIN endpoints e ON e.eni = d.id
WHERE d.kind = 'public';
