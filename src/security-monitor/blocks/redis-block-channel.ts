import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import Redis from 'ioredis';
import { Clock } from '../../common/clock/clock';
import { appConfig, securityMonitorConfig } from '../../config';
import { Transactions } from '../../database/transactions/transactions.service';
import { type ActiveBlock, BlockEnforcer } from './block-enforcer';

/** The active blocks: network → `{"id","expiresAt"}` (ms); and their ends, to prune the hash by. */
const BLOCKS_KEY = 'sentinel:security:blocks';
const ENDS_KEY = 'sentinel:security:blocks:ends';
/**
 * Pub/sub channels are shared by every database of a Redis server: the channel names the database, so
 * deployments on one server (redis://…/1, redis://…/2) never hear each other's blocks.
 */
const CHANNEL_PREFIX = 'sentinel:security:blocks:changes:db';
/** What CLIENT LIST shows for this channel's connections. */
export const CONNECTION_NAME = 'sentinel-security-blocks';
/** How long a Redis command may take before the channel treats Redis as down. */
const REDIS_TIMEOUT_MS = 500;
/** Changes made while Redis is down, replayed once it is back: bounded, the oldest dropped first. */
const MAX_PENDING = 1000;

/** A change to the active blocks, as published on the channel. */
export type BlockChange =
  { kind: 'added'; id: string; network: string; expiresAt: number } | { kind: 'lifted'; id: string; network: string };

// Prunes ended blocks (by the app's clock, ARGV[1]), stores the new one and tells every instance: one atomic step.
const ADD_SCRIPT = `
local ended = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for _, network in ipairs(ended) do redis.call('HDEL', KEYS[1], network) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
redis.call('PUBLISH', ARGV[6], ARGV[5])
return 1`;

// Removes the network's block only if it is the one lifted (a newer block of that network stays).
const LIFT_SCRIPT = `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if stored and cjson.decode(stored).id == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
redis.call('PUBLISH', ARGV[4], ARGV[3])
return 1`;

/**
 * Redis mode of the blocks (REDIS_URL set): every change is published on a
 * Redis channel and applied by every instance's enforcer as it arrives, and
 * the active set is kept in Redis, so an instance starting or reconnecting
 * reads it at once. PostgreSQL stays the record (history, escalation, the
 * API) and its re-read keeps running beside this.
 *
 * Redis down: the enforcer keeps the last set it read from Redis, pruned as
 * blocks end, plus what PostgreSQL says every SECURITY_STATE_REFRESH_MS (and
 * on NOTIFY); requests never wait on Redis. Changes made meanwhile are kept
 * (up to MAX_PENDING) and written when Redis is back; the subscriber
 * reconnects and resubscribes on its own and the set is read again.
 */
@Injectable()
export class RedisBlockChannel implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SecurityBlocks');
  private readonly url?: string;
  private channel = '';
  private commands?: Redis;
  private subscriber?: Redis;
  private pending: BlockChange[] = [];
  /** Changes heard while a full read is on its way: applied again after it, so an older read cannot undo them. */
  private heardDuringRead?: BlockChange[];
  private reading?: Promise<void>;
  private readsAsked = 0;
  private failing = false;
  private closed = false;

  constructor(
    private readonly enforcer: BlockEnforcer,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
    @Inject(appConfig.KEY) app: ConfigType<typeof appConfig>,
    @Inject(securityMonitorConfig.KEY) monitor: ConfigType<typeof securityMonitorConfig>,
  ) {
    if (monitor.enabled) this.url = app.redisUrl;
  }

  get enabled(): boolean {
    return this.url !== undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.url) return;
    const options = { connectTimeout: REDIS_TIMEOUT_MS * 4, lazyConnect: true, connectionName: CONNECTION_NAME };
    // Fail fast while Redis is unreachable: a change is kept for later, never queued behind reconnects.
    this.commands = new Redis(this.url, {
      ...options,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: REDIS_TIMEOUT_MS,
    });
    this.channel = `${CHANNEL_PREFIX}${this.commands.options.db ?? 0}`;
    // Subscribing waits for a connection however long Redis is away (no retry limit), never holding a request.
    this.subscriber = new Redis(this.url, { ...options, maxRetriesPerRequest: null });
    for (const client of [this.commands, this.subscriber]) {
      client.on('error', (error: Error) => {
        this.outage(error.message);
      });
    }
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.heard(message);
    });
    // Startup waits for the first read (bounded by the connect timeout), so blocks hold from the first request.
    await Promise.allSettled([this.commands.connect(), this.subscriber.connect()]);
    if (this.subscriber.status === 'ready') await this.subscribeAndRead();
    else await this.readAll();
    // Every later (re)connection: the changes kept meanwhile are written, the channel subscribed, the set read.
    this.commands.on('ready', () => void this.resync());
    this.subscriber.on('ready', () => void this.subscribeAndRead());
  }

  onApplicationShutdown(): void {
    this.closed = true;
    this.commands?.disconnect(false);
    this.subscriber?.disconnect(false);
  }

  /** Subscribing again is a no-op in Redis, so this holds whether or not ioredis already resubscribed. */
  private async subscribeAndRead(): Promise<void> {
    try {
      await this.subscriber?.subscribe(this.channel);
    } catch (error) {
      this.outage(describe(error));
      return;
    }
    await this.readAll();
  }

  /** Publishes `change` once the current transaction commits (at once outside one); never throws. */
  announce(change: BlockChange): void {
    if (!this.commands) return;
    const scope = this.transactions.current;
    if (scope) scope.onAfterCommit(() => void this.write(change));
    else void this.write(change);
  }

  /**
   * Replaces the Redis part of the enforcer with the set in Redis; on failure the last known set stays.
   * Reads asked for while one is on its way coalesce into one more after it.
   */
  async readAll(): Promise<void> {
    this.readsAsked += 1;
    if (this.reading) return this.reading;
    this.reading = (async () => {
      for (;;) {
        const asked = this.readsAsked;
        await this.readOnce();
        if (this.readsAsked === asked) return;
      }
    })().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async readOnce(): Promise<void> {
    if (!this.commands || this.closed || this.commands.status !== 'ready') return;
    this.heardDuringRead = [];
    try {
      const stored = await this.commands.hgetall(BLOCKS_KEY);
      const now = this.clock.now().getTime();
      const blocks = Object.entries(stored).flatMap(([network, value]) => {
        const block = parseStored(network, value);
        return block && block.expiresAt.getTime() > now ? [block] : [];
      });
      this.enforcer.replace(blocks, 'redis');
      for (const change of this.heardDuringRead) this.apply(change);
      this.recovered();
    } catch (error) {
      this.outage(describe(error));
    } finally {
      this.heardDuringRead = undefined;
    }
  }

  private heard(message: string): void {
    const change = parseChange(message);
    if (!change) return;
    this.heardDuringRead?.push(change);
    this.apply(change);
  }

  private apply(change: BlockChange): void {
    if (change.kind === 'lifted') this.enforcer.remove(change.id, change.network);
    else if (change.expiresAt > this.clock.now().getTime()) {
      this.enforcer.add({ id: change.id, network: change.network, expiresAt: new Date(change.expiresAt) }, 'redis');
    }
  }

  private async write(change: BlockChange): Promise<void> {
    if (!this.commands || this.closed) return;
    try {
      await this.send(this.commands, change);
      this.recovered();
    } catch (error) {
      this.outage(describe(error));
      this.pending = [...this.pending, change].slice(-MAX_PENDING);
    }
  }

  private async send(commands: Redis, change: BlockChange): Promise<void> {
    const message = JSON.stringify(change);
    if (change.kind === 'added') {
      const stored = JSON.stringify({ id: change.id, expiresAt: change.expiresAt });
      await commands.eval(
        ADD_SCRIPT,
        2,
        BLOCKS_KEY,
        ENDS_KEY,
        this.clock.now().getTime(),
        change.network,
        stored,
        change.expiresAt,
        message,
        this.channel,
      );
    } else {
      await commands.eval(LIFT_SCRIPT, 2, BLOCKS_KEY, ENDS_KEY, change.network, change.id, message, this.channel);
    }
  }

  /** Back in touch with Redis: writes the changes made meanwhile, in order, then reads the set again. */
  private async resync(): Promise<void> {
    const commands = this.commands;
    if (!commands || this.closed) return;
    const pending = this.pending;
    this.pending = [];
    for (const [index, change] of pending.entries()) {
      try {
        await this.send(commands, change);
      } catch (error) {
        this.outage(describe(error));
        this.pending = [...pending.slice(index), ...this.pending].slice(-MAX_PENDING);
        return;
      }
    }
    await this.readAll();
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.log('Redis reachable again: block changes travel through it');
  }

  /** Logs the first failure of an outage only. */
  private outage(reason: string): void {
    if (this.failing || this.closed) return;
    this.failing = true;
    this.logger.warn(
      `Redis unreachable (${reason}): blocks are enforced from the last known set and PostgreSQL's re-read`,
    );
  }
}

function parseStored(network: string, value: string): ActiveBlock | undefined {
  const parsed = parseJson(value);
  if (!isRecord(parsed) || typeof parsed.id !== 'string' || typeof parsed.expiresAt !== 'number') return undefined;
  return { id: parsed.id, network, expiresAt: new Date(parsed.expiresAt) };
}

function parseChange(message: string): BlockChange | undefined {
  const parsed = parseJson(message);
  if (!isRecord(parsed) || typeof parsed.id !== 'string' || typeof parsed.network !== 'string') return undefined;
  if (parsed.kind === 'lifted') return { kind: 'lifted', id: parsed.id, network: parsed.network };
  if (parsed.kind === 'added' && typeof parsed.expiresAt === 'number') {
    return { kind: 'added', id: parsed.id, network: parsed.network, expiresAt: parsed.expiresAt };
  }
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
