import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock';
import { clientAddress, type Network, NetworkSet, parseNetwork } from './network.util';

export interface ActiveBlock {
  id: string;
  network: string;
  expiresAt: Date;
}

/**
 * Where this instance learnt of a block: its own PostgreSQL re-read, or the
 * cluster's set in Redis (REDIS_URL). Each source is replaced on its own, so
 * one that cannot be read keeps its last known set while the other updates.
 */
export type BlockSource = 'postgres' | 'redis';

interface Entry {
  block: ActiveBlock;
  network: Network;
}

/**
 * This instance's view of the active blocks, answering "is this address
 * blocked?" from memory on every request: the union of what PostgreSQL and
 * (with REDIS_URL) Redis say. BlocksService and RedisBlockChannel update it
 * whenever any instance changes a block, and it prunes itself as blocks run
 * out, by the app's clock.
 */
@Injectable()
export class BlockEnforcer {
  private readonly sources = new Map<BlockSource, ActiveBlock[]>();
  private entries: Entry[] = [];
  private networks = new NetworkSet([]);
  private nextExpiry = Number.POSITIVE_INFINITY;

  constructor(private readonly clock: Clock) {}

  replace(blocks: readonly ActiveBlock[], source: BlockSource = 'postgres'): void {
    this.sources.set(source, [...blocks]);
    this.rebuild();
  }

  /** One block more from `source` (a change announced on Redis). */
  add(block: ActiveBlock, source: BlockSource): void {
    const blocks = (this.sources.get(source) ?? []).filter((known) => known.network !== block.network);
    this.sources.set(source, [...blocks, block]);
    this.rebuild();
  }

  /** A block lifted anywhere: gone from every source at once, not only at the next re-read. */
  remove(id: string, network: string): void {
    for (const [source, blocks] of this.sources) {
      this.sources.set(
        source,
        blocks.filter((block) => block.id !== id || block.network !== network),
      );
    }
    this.rebuild();
  }

  /** The block covering the address now, if any; the common case (no block at all) costs one comparison. */
  blocking(ip: string | null | undefined): ActiveBlock | undefined {
    if (this.entries.length === 0) return undefined;
    const now = this.clock.now().getTime();
    if (now >= this.nextExpiry) {
      for (const [source, blocks] of this.sources) {
        this.sources.set(
          source,
          blocks.filter((block) => block.expiresAt.getTime() > now),
        );
      }
      this.rebuild();
    }
    const address = clientAddress(ip);
    if (!this.networks.has(address)) return undefined;
    return this.entries.find((entry) => new NetworkSet([entry.network]).has(address))?.block;
  }

  private rebuild(): void {
    this.entries = [...this.sources.values()].flat().flatMap((block) => {
      const network = parseNetwork(block.network);
      return network ? [{ block, network }] : [];
    });
    this.networks = new NetworkSet(this.entries.map((entry) => entry.network));
    this.nextExpiry = Math.min(...this.entries.map((entry) => entry.block.expiresAt.getTime()));
  }
}
