-- After numbering (numbering.sql or renumbering.sql) and fl_endpoints (the sides met so far, see
-- conversations.ts): what each numbered address is (an AWS service's, RFC 1918, private, special-purpose), and the sides
-- already numbered, which the parts add to.

-- Per distinct address, parsed once (the macros parse text; addresses repeat a lot): RFC 1918, private, and the
-- address as an integer.
CREATE OR REPLACE TEMP TABLE fl_addr_int AS
SELECT id, addr, fl_rfc1918(addr) AS rfc1918, fl_private(addr) AS private, fl_ip_family(addr) AS family, fl_ip_int(addr) AS v
FROM fl_addr;

-- AWS-owned public addresses: the most specific service, then the longest prefix.
CREATE OR REPLACE TEMP TABLE fl_public AS
SELECT i.addr,
       arg_max(p.service, (p.service <> 'AMAZON')::INTEGER * 1000 + p.prefix_len) AS aws_service,
       arg_max(p.region, (p.service <> 'AMAZON')::INTEGER * 1000 + p.prefix_len) AS aws_region
FROM fl_addr_int i JOIN inv_prefixes p ON p.family = i.family AND i.v BETWEEN p.lo AND p.hi
WHERE NOT i.private
GROUP BY i.addr;

-- Per distinct address: RFC 1918, private, and its special-purpose type (address_types: the longest prefix's
-- type, kind and reach) when it has one.
CREATE OR REPLACE TEMP TABLE fl_addr_class AS
WITH typed AS (
  SELECT i.id, arg_max(t.type, t.prefix_len) AS addr_type, arg_max(t.kind, t.prefix_len) AS addr_kind,
         arg_max(t.reach, t.prefix_len) AS reach
  FROM fl_addr_int i JOIN address_types t ON t.family = i.family AND i.v BETWEEN t.lo AND t.hi
  GROUP BY i.id
)
SELECT i.id, i.addr, i.rfc1918, i.private, t.addr_type, t.addr_kind, t.reach
FROM fl_addr_int i LEFT JOIN typed t ON t.id = i.id;
DROP TABLE fl_addr_int;

-- The identities already numbered (fl_endpoints).
CREATE OR REPLACE TEMP TABLE fl_ident AS
SELECT e.ep, s.sep::BIGINT AS sep, e.aws_service AS svc, e.pregion, e.unknown
FROM fl_endpoints e LEFT JOIN (SELECT DISTINCT sep, skey FROM fl_scope) s ON s.skey = e.skey
WHERE e.skey IS NULL OR s.sep IS NOT NULL;

-- The sides a record proves (attribution.sql): per observer, its ENI's '!' rows of fl_scope (the ENI, and its owner
-- when the inventory knows it then, for all time), found by the observer's number.
CREATE OR REPLACE TEMP TABLE fl_proven AS
SELECT o.obs, s.sep, s.eni_id, s.valid_from, s.valid_to
FROM fl_observer o JOIN fl_scope s ON s.scope_vpc = '!' AND s.eni_id = o.interface_id;
