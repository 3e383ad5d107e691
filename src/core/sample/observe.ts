/**
 * What each logging ENI records for one minute of a conversation: one record per observer per
 * direction, addresses as the observer sees them, and the NAT gateway's two legs.
 */
import type { Conversation, EgressPath, Endpoint, Eni, FlowLogConfig } from './model';

/** A flow record as field name -> text ('-' for not applicable). */
export type FlowRecord = Record<string, string>;

export type Emit = (flowLog: FlowLogConfig, eni: Eni, rec: FlowRecord) => void;

const CLIENT_EGRESS_PATH: Record<EgressPath, string> = {
  'same-vpc': '1',
  'internet-gateway': '8',
  'nat-gateway': '1',
  'gateway-endpoint': '7',
  'interface-endpoint': '1',
  'peering-intra-region': '4',
  'peering-inter-region': '5',
  'transit-gateway': '1',
  'virtual-private-gateway': '3',
};

function packets(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1100));
}

interface Dir {
  src: string;
  dst: string;
  srcport: number;
  dstport: number;
  pktSrc: string;
  pktDst: string;
  bytes: number;
  flags: number;
  action: string;
  direction: 'ingress' | 'egress';
  path: string;
  srcSvc: string;
  dstSvc: string;
}

function record(eni: Eni, start: number, protocol: number, d: Dir): FlowRecord {
  return {
    version: '5',
    'account-id': eni.logAccount,
    'interface-id': eni.id,
    srcaddr: d.src,
    dstaddr: d.dst,
    srcport: String(d.srcport),
    dstport: String(d.dstport),
    protocol: String(protocol),
    packets: String(packets(d.bytes)),
    bytes: String(d.bytes),
    start: String(start),
    end: String(start + 60),
    action: d.action,
    'log-status': 'OK',
    'vpc-id': eni.vpc.id,
    'subnet-id': eni.subnet.id,
    'instance-id': eni.instanceId ?? '-',
    'tcp-flags': String(d.flags),
    type: d.pktSrc.includes(':') ? 'IPv6' : 'IPv4',
    'pkt-srcaddr': d.pktSrc,
    'pkt-dstaddr': d.pktDst,
    region: eni.vpc.region,
    'az-id': eni.subnet.azId,
    'flow-direction': d.direction,
    'traffic-path': d.path,
    'pkt-src-aws-service': d.srcSvc,
    'pkt-dst-aws-service': d.dstSvc,
  };
}

/** A record with no traffic (NODATA / SKIPDATA): only the interface and the interval are known. */
export function statusRecord(eni: Eni, start: number, status: 'NODATA' | 'SKIPDATA', end = start + 60): FlowRecord {
  return { version: '5', 'account-id': eni.logAccount, 'interface-id': eni.id, start: String(start), end: String(end), 'log-status': status };
}

/** The address the observing ENI records for its own side: its primary private IPv4 (IPv6 as is). */
function own(eni: Eni, addr: string): string {
  return addr.includes(':') ? addr : eni.primaryIp;
}

function svc(e: Endpoint): string {
  return e.kind === 'aws' ? e.service! : '-';
}

/**
 * Emits the records of minute `i` of a conversation and returns the ids of the ENIs that logged it.
 */
export function observeMinute(c: Conversation, i: number, emit: Emit): string[] {
  const observers: string[] = [];
  const start = c.start + i * 60;
  const first = i === 0;
  const last = i === c.minutes - 1;
  const reject = c.action === 'REJECT';
  const clientFlags = reject ? 2 : (first ? 2 : 0) | (last ? 1 : 0);
  const serverFlags = (first ? 18 : 0) | (last ? 1 : 0);
  const up = c.up[i];
  const down = c.down[i];
  const cl = c.client;
  const sv = c.server;
  const clientEgressPath = CLIENT_EGRESS_PATH[c.path];
  const serverEgressPath = cl.kind === 'internet' ? '8' : c.path.startsWith('peering') ? clientEgressPath : '1';

  // The client's own ENI.
  if (cl.kind === 'eni' && cl.eni!.vpc.flowLog) {
    const eni = cl.eni!;
    const me = own(eni, cl.addr);
    emit(eni.vpc.flowLog!, eni, record(eni, start, 6, {
      src: me, dst: sv.addr, srcport: c.clientPort, dstport: c.serverPort, pktSrc: cl.addr, pktDst: sv.addr, bytes: up,
      flags: clientFlags, action: 'ACCEPT', direction: 'egress', path: clientEgressPath, srcSvc: '-', dstSvc: svc(sv),
    }));
    if (!reject) {
      emit(eni.vpc.flowLog!, eni, record(eni, start, 6, {
        src: sv.addr, dst: me, srcport: c.serverPort, dstport: c.clientPort, pktSrc: sv.addr, pktDst: cl.addr, bytes: down,
        flags: serverFlags, action: 'ACCEPT', direction: 'ingress', path: '-', srcSvc: svc(sv), dstSvc: '-',
      }));
    }
    observers.push(eni.id);
  }

  // The NAT gateway logs both legs: client <-> NAT and NAT <-> destination.
  if (c.nat && c.nat.vpc.flowLog) {
    const nat = c.nat;
    const fl = nat.vpc.flowLog!;
    const nip = nat.primaryIp;
    const np = c.natPort!;
    emit(fl, nat, record(nat, start, 6, {
      src: cl.addr, dst: nip, srcport: c.clientPort, dstport: c.serverPort, pktSrc: cl.addr, pktDst: sv.addr, bytes: up,
      flags: clientFlags, action: 'ACCEPT', direction: 'ingress', path: '-', srcSvc: '-', dstSvc: svc(sv),
    }));
    emit(fl, nat, record(nat, start, 6, {
      src: nip, dst: sv.addr, srcport: np, dstport: c.serverPort, pktSrc: nip, pktDst: sv.addr, bytes: up,
      flags: clientFlags, action: 'ACCEPT', direction: 'egress', path: '8', srcSvc: '-', dstSvc: svc(sv),
    }));
    if (!reject) {
      emit(fl, nat, record(nat, start, 6, {
        src: sv.addr, dst: nip, srcport: c.serverPort, dstport: np, pktSrc: sv.addr, pktDst: nip, bytes: down,
        flags: serverFlags, action: 'ACCEPT', direction: 'ingress', path: '-', srcSvc: svc(sv), dstSvc: '-',
      }));
      emit(fl, nat, record(nat, start, 6, {
        src: nip, dst: cl.addr, srcport: c.serverPort, dstport: c.clientPort, pktSrc: sv.addr, pktDst: cl.addr, bytes: down,
        flags: serverFlags, action: 'ACCEPT', direction: 'egress', path: '1', srcSvc: svc(sv), dstSvc: '-',
      }));
    }
    observers.push(nat.id);
  }

  // The server's ENI.
  if (sv.kind === 'eni' && sv.eni!.vpc.flowLog) {
    const eni = sv.eni!;
    const me = own(eni, sv.addr);
    emit(eni.vpc.flowLog!, eni, record(eni, start, 6, {
      src: cl.addr, dst: me, srcport: c.clientPort, dstport: c.serverPort, pktSrc: cl.addr, pktDst: sv.addr, bytes: up,
      flags: clientFlags, action: reject ? 'REJECT' : 'ACCEPT', direction: 'ingress', path: '-', srcSvc: svc(cl), dstSvc: '-',
    }));
    if (!reject) {
      emit(eni.vpc.flowLog!, eni, record(eni, start, 6, {
        src: me, dst: cl.addr, srcport: c.serverPort, dstport: c.clientPort, pktSrc: sv.addr, pktDst: cl.addr, bytes: down,
        flags: serverFlags, action: 'ACCEPT', direction: 'egress', path: serverEgressPath, srcSvc: '-', dstSvc: svc(cl),
      }));
    }
    observers.push(eni.id);
  }
  return observers;
}
