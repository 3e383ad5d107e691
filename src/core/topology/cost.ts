/**
 * The transfer-cost estimate shown on edges: public list prices (USD per GB, us-east-1, 2025),
 * applied to accepted traffic. It is an estimate for ranking and comparing edges, not a bill:
 * discounts, free tiers and region differences are left out.
 */
export const GB = 1024 ** 3;

export const RATES = {
  /** Cross-AZ inside a region: $0.01/GB out of one AZ plus $0.01/GB into the other. */
  crossAz: 0.02,
  /** Inter-region transfer, charged to the sender; counted on the bytes of both directions. */
  crossRegion: 0.02,
  /** NAT gateway data processing, both directions. */
  natProcessing: 0.045,
  /** Transit gateway data processing. */
  transitGateway: 0.02,
  /** Interface VPC endpoint data processing. */
  interfaceEndpoint: 0.01,
  /** Data transfer out to the internet (first tier); bytes coming in are free. */
  internetOut: 0.09,
} as const;

/**
 * SQL for the estimated cost (USD) of one conversation row of `conversations` aliased `c`.
 * `up`/`down` are the client->server and server->client byte expressions.
 */
export function costSql(c = 'c'): string {
  const up = `coalesce(${c}.uploaded, 0)`;
  const down = `coalesce(${c}.downloaded, 0)`;
  const both = `(${up} + ${down})`;
  return `(CASE WHEN ${c}.action = 'REJECT' THEN 0 ELSE (
    CASE WHEN ${c}.cross_az THEN ${RATES.crossAz} * ${both} ELSE 0 END
    + CASE WHEN ${c}.cross_region THEN ${RATES.crossRegion} * ${both} ELSE 0 END
    + CASE WHEN ${c}.egress_path = 'nat-gateway' THEN ${RATES.natProcessing} * ${both} ELSE 0 END
    + CASE WHEN ${c}.egress_path = 'transit-gateway' THEN ${RATES.transitGateway} * ${both} ELSE 0 END
    + CASE WHEN ${c}.egress_path = 'interface-endpoint' THEN ${RATES.interfaceEndpoint} * ${both} ELSE 0 END
    + CASE WHEN ${c}.server_node = 'internet' THEN ${RATES.internetOut} * ${up}
           WHEN ${c}.client_node = 'internet' THEN ${RATES.internetOut} * ${down} ELSE 0 END
  ) END) / ${GB}.0`;
}
