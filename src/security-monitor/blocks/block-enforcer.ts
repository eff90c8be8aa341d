import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock';
import { clientAddress, type Network, NetworkSet, parseNetwork } from './network.util';

export interface ActiveBlock {
  id: string;
  network: string;
  expiresAt: Date;
}

interface Entry {
  block: ActiveBlock;
  network: Network;
}

/**
 * This instance's view of the active blocks, answering "is this address
 * blocked?" from memory on every request. BlocksService replaces the view
 * whenever any instance changes a block (NOTIFY), and it prunes itself as
 * blocks run out, by the app's clock.
 */
@Injectable()
export class BlockEnforcer {
  private entries: Entry[] = [];
  private networks = new NetworkSet([]);
  private nextExpiry = Number.POSITIVE_INFINITY;

  constructor(private readonly clock: Clock) {}

  replace(blocks: readonly ActiveBlock[]): void {
    this.entries = blocks.flatMap((block) => {
      const network = parseNetwork(block.network);
      return network ? [{ block, network }] : [];
    });
    this.networks = new NetworkSet(this.entries.map((entry) => entry.network));
    this.nextExpiry = Math.min(...this.entries.map((entry) => entry.block.expiresAt.getTime()));
  }

  /** The block covering the address now, if any; the common case (no block at all) costs one comparison. */
  blocking(ip: string | null | undefined): ActiveBlock | undefined {
    if (this.entries.length === 0) return undefined;
    const now = this.clock.now().getTime();
    if (now >= this.nextExpiry) {
      this.replace(this.entries.map((entry) => entry.block).filter((block) => block.expiresAt.getTime() > now));
    }
    const address = clientAddress(ip);
    if (!this.networks.has(address)) return undefined;
    return this.entries.find((entry) => new NetworkSet([entry.network]).has(address))?.block;
  }
}
