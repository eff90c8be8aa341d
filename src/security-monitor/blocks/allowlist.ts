import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { securityMonitorConfig } from '../../config';
import { clientAddress, type Network, NetworkSet, parseNetwork } from './network.util';

/**
 * SECURITY_ALLOWLIST_IPS and SECURITY_ALLOWLIST_USERS: addresses and users no
 * rule, response or manual block ever acts on. Checked where signals enter,
 * where responses are taken and where blocks are enforced, so a block made
 * before an address was allowlisted does not hold either.
 */
@Injectable()
export class Allowlist {
  private readonly entries: readonly Network[];
  private readonly networks: NetworkSet;
  private readonly users: ReadonlySet<string>;

  constructor(@Inject(securityMonitorConfig.KEY) config: ConfigType<typeof securityMonitorConfig>) {
    this.entries = config.allowlist.ips.map(parseNetwork).filter((network): network is Network => network !== null);
    this.networks = new NetworkSet(this.entries);
    this.users = new Set(config.allowlist.users);
  }

  coversIp(ip: string | null | undefined): boolean {
    return this.networks.has(clientAddress(ip));
  }

  /** True when the network and an allowlisted one share an address (a manual /16 block must not cover one). */
  overlaps(network: Network): boolean {
    if (this.networks.has(network.address)) return true;
    const blocked = new NetworkSet([network]);
    return this.entries.some((entry) => blocked.has(entry.address));
  }

  coversUser(username: string | null | undefined): boolean {
    return username !== null && username !== undefined && this.users.has(username.toLowerCase());
  }
}
