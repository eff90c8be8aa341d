import { BlockList, isIP } from 'node:net';

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** The address as blocks see it: an IPv4 client behind a dual-stack socket (`::ffff:a.b.c.d`) is that IPv4 address. */
export function clientAddress(ip: string | null | undefined): string | null {
  if (!ip) return null;
  const mapped = IPV4_MAPPED.exec(ip);
  const address = mapped ? mapped[1] : ip;
  return isIP(address) === 0 ? null : address;
}

/** A network in CIDR notation, e.g. `203.0.113.7/32` or `2001:db8:1:2::/64`. */
export interface Network {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export function parseNetwork(cidr: string): Network | null {
  const [address, ...prefix] = cidr.split('/');
  const family = isIP(address);
  if (family === 0) return null;
  const bits = prefix.length === 0 ? (family === 4 ? 32 : 128) : Number(prefix[0]);
  return { address, prefix: bits, family: family === 4 ? 'ipv4' : 'ipv6' };
}

/** The prefix an automatic block covers: the address itself for IPv4, its /64 for IPv6 (one site, one customer). */
export function blockPrefixFor(address: string): number {
  return isIP(address) === 6 ? 64 : 32;
}

/** A set of networks with a fast membership test (node's BlockList, the same structure a firewall would use). */
export class NetworkSet {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(networks: readonly Network[]) {
    for (const network of networks) this.list.addSubnet(network.address, network.prefix, network.family);
    this.size = networks.length;
  }

  has(address: string | null): boolean {
    if (address === null || this.size === 0) return false;
    return this.list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }
}
