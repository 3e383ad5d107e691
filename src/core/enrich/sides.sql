-- After numbering (numbering.sql or renumbering.sql) and fl_endpoints (the sides met so far, see
-- conversations.ts): what each numbered address is (an AWS service's, RFC 1918, private), and the sides
-- already numbered, which the parts add to.

-- AWS-owned public addresses: the most specific service, then the longest prefix.
CREATE OR REPLACE TEMP TABLE fl_public AS
WITH addrs AS (
  SELECT addr FROM fl_addr
  WHERE NOT fl_private(addr)
), ints AS (
  SELECT addr, fl_ip_family(addr) AS family, fl_ip_int(addr) AS v FROM addrs WHERE fl_ip_int(addr) IS NOT NULL
)
SELECT i.addr,
       arg_max(p.service, (p.service <> 'AMAZON')::INTEGER * 1000 + p.prefix_len) AS aws_service,
       arg_max(p.region, (p.service <> 'AMAZON')::INTEGER * 1000 + p.prefix_len) AS aws_region
FROM ints i JOIN inv_prefixes p ON p.family = i.family AND i.v BETWEEN p.lo AND p.hi
GROUP BY i.addr;

-- Per distinct address: RFC 1918 and private (the macros parse text; addresses repeat a lot).
CREATE OR REPLACE TEMP TABLE fl_addr_class AS
SELECT id, addr, fl_rfc1918(addr) AS rfc1918, fl_private(addr) AS private FROM fl_addr;

-- The identities already numbered (fl_endpoints).
CREATE OR REPLACE TEMP TABLE fl_ident AS
SELECT e.ep, s.sep::BIGINT AS sep, e.aws_service AS svc, e.pregion, e.unknown
FROM fl_endpoints e LEFT JOIN (SELECT DISTINCT sep, skey FROM fl_scope) s ON s.skey = e.skey
WHERE e.skey IS NULL OR s.sep IS NOT NULL;
