import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { Clock } from '../../common/clock/clock';
import { DomainEvents } from '../../common/events/domain-events.service';
import { type PageDto, page } from '../../common/pagination/paginated';
import { securityMonitorConfig } from '../../config';
import { Transactions } from '../../database/transactions/transactions.service';
import type { CreateBlockDto, ListBlocksQueryDto } from '../dto/block.dto';
import type { BlockSettings } from '../policies/policy-config';
import { SecurityIpBlocked, SecurityIpUnblocked } from '../security-monitor.events';
import { SecurityMonitorErrorCode, SecurityMonitorException } from '../security-monitor.exception';
import { Allowlist } from './allowlist';
import { BlockChangeNotifier } from './block-change.notifier';
import { BlockEnforcer } from './block-enforcer';
import { blockPrefixFor, clientAddress, parseNetwork } from './network.util';
import { BLOCK_COLUMNS, escalatedDurationSeconds, type SecurityBlockRow } from './security-block';

const DAY_MS = 86_400_000;

export interface AutomaticBlock {
  ip: string;
  settings: BlockSettings;
  reason: string;
  policyId: string;
}

/** The outcome of asking for a block: the one in force (new, or already there), or why there is none. */
export type BlockOutcome =
  { block: SecurityBlockRow; created: boolean } | { block: undefined; refused: 'allowlisted' | 'not-an-ip' };

/**
 * Blocks: timed, escalating for repeat offenders (fail2ban's
 * bantime.increment), never covering an allowlisted address, stored in
 * PostgreSQL (and, with REDIS_URL, their active set in Redis) and announced
 * to every instance when they change.
 */
@Injectable()
export class BlocksService implements OnModuleInit {
  constructor(
    private readonly transactions: Transactions,
    private readonly notifier: BlockChangeNotifier,
    private readonly enforcer: BlockEnforcer,
    private readonly allowlist: Allowlist,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
    @Inject(securityMonitorConfig.KEY) private readonly config: ConfigType<typeof securityMonitorConfig>,
  ) {}

  onModuleInit(): void {
    this.notifier.onChange(() => this.reload());
  }

  /** Re-reads the blocks in force into this instance's enforcer. */
  async reload(): Promise<void> {
    const rows = await this.transactions.outside(() =>
      this.transactions.query<{ id: string; network: string; expires_at: Date }[]>(
        `SELECT id::text, network::text, expires_at FROM security_blocks
          WHERE lifted_at IS NULL AND expires_at > $1`,
        [this.clock.now()],
      ),
    );
    this.enforcer.replace(rows.map((row) => ({ id: row.id, network: row.network, expiresAt: row.expires_at })));
  }

  /** A rule's block of the offending address (its /64 for IPv6), longer for each earlier offence remembered. */
  async blockAddress(request: AutomaticBlock): Promise<BlockOutcome> {
    const address = clientAddress(request.ip);
    if (address === null) return { block: undefined, refused: 'not-an-ip' };
    if (this.allowlist.coversIp(address)) return { block: undefined, refused: 'allowlisted' };
    return this.transactions.run(() =>
      this.insertBlock(
        address,
        blockPrefixFor(address),
        request.reason,
        request.policyId,
        'security-monitor',
        (offence) => escalatedDurationSeconds(offence, request.settings),
      ),
    );
  }

  /** An operator's block of an address or a network, for a fixed time. */
  async create(actor: AuthenticatedUser, input: CreateBlockDto): Promise<SecurityBlockRow> {
    const network = parseNetwork(input.target);
    if (network === null || this.allowlist.overlaps(network)) {
      throw new SecurityMonitorException(SecurityMonitorErrorCode.Allowlisted);
    }
    const outcome = await this.transactions.run(() =>
      this.insertBlock(
        network.address,
        network.prefix,
        input.reason,
        null,
        actor.username,
        () => input.durationSeconds,
      ),
    );
    return outcome.block;
  }

  async lift(actor: AuthenticatedUser, id: string): Promise<void> {
    const [rows] = await this.transactions.query<[SecurityBlockRow[], number]>(
      `UPDATE security_blocks SET lifted_at = $2, lifted_by = $3
        WHERE id = $1 AND lifted_at IS NULL AND expires_at > $2
        RETURNING ${BLOCK_COLUMNS}`,
      [id, this.clock.now(), actor.username],
    );
    const lifted = rows.at(0);
    if (!lifted) throw new SecurityMonitorException(SecurityMonitorErrorCode.BlockNotFound);
    await this.notifier.announce({ kind: 'lifted', id: lifted.id, network: lifted.network });
    this.events.publish(new SecurityIpUnblocked(lifted.id, lifted.network));
  }

  async list(query: ListBlocksQueryDto): Promise<PageDto<SecurityBlockRow>> {
    const where = query.active ? 'WHERE lifted_at IS NULL AND expires_at > $1' : 'WHERE $1::timestamptz IS NOT NULL';
    const params = [this.clock.now(), query.limit, query.offset];
    const [items, [{ total }]] = await Promise.all([
      this.transactions.query<SecurityBlockRow[]>(
        `SELECT ${BLOCK_COLUMNS} FROM security_blocks ${where} ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
        params,
      ),
      this.transactions.query<{ total: number }[]>(
        `SELECT count(*)::int AS total FROM security_blocks ${where}`,
        params.slice(0, 1),
      ),
    ]);
    return page(items, total, query);
  }

  private async insertBlock(
    address: string,
    prefix: number,
    reason: string,
    policyId: string | null,
    createdBy: string,
    durationFor: (offence: number) => number,
  ): Promise<{ block: SecurityBlockRow; created: boolean }> {
    const now = this.clock.now();
    const [{ network }] = await this.transactions.query<{ network: string }[]>(
      'SELECT network(set_masklen($1::inet, $2))::text AS network',
      [address, prefix],
    );
    // One decision per network at a time, across instances: a burst seen twice is not blocked twice.
    await this.transactions.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `security-block:${network}`,
    ]);
    const active = await this.transactions.query<SecurityBlockRow[]>(
      `SELECT ${BLOCK_COLUMNS} FROM security_blocks
        WHERE network = $1::cidr AND lifted_at IS NULL AND expires_at > $2 ORDER BY expires_at DESC LIMIT 1`,
      [network, now],
    );
    if (active.length > 0) return { block: active[0], created: false };
    const [{ earlier }] = await this.transactions.query<{ earlier: number }[]>(
      'SELECT count(*)::int AS earlier FROM security_blocks WHERE network = $1::cidr AND created_at > $2',
      [network, new Date(now.getTime() - this.config.offenceMemoryDays * DAY_MS)],
    );
    const offence = earlier + 1;
    const expiresAt = new Date(now.getTime() + durationFor(offence) * 1000);
    const [block] = await this.transactions.query<SecurityBlockRow[]>(
      `INSERT INTO security_blocks (network, reason, policy_id, offence, created_by, created_at, expires_at)
       VALUES ($1::cidr, $2, $3, $4, $5, $6, $7) RETURNING ${BLOCK_COLUMNS}`,
      [network, reason, policyId, offence, createdBy, now, expiresAt],
    );
    await this.notifier.announce({
      kind: 'added',
      id: block.id,
      network: block.network,
      expiresAt: block.expires_at.getTime(),
    });
    this.events.publish(new SecurityIpBlocked(block.id, block.network, block.expires_at, offence, reason));
    return { block, created: true };
  }
}
