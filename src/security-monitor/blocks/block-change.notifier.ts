import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions';
import { securityMonitorConfig } from '../../config';
import { Transactions } from '../../database/transactions/transactions.service';
import { type BlockChange, RedisBlockChannel } from './redis-block-channel';

const CHANNEL = 'sentinel_security_blocks';
const RECONNECT_DELAY_MS = 1000;

type Reload = () => Promise<void>;

/**
 * Tells every instance at once that the blocks changed: a NOTIFY sent
 * in the changing transaction (so it arrives only if the change commits),
 * heard on one LISTEN connection per instance. A reload on every reconnect
 * and every SECURITY_STATE_REFRESH_MS covers notifications a dropped
 * connection missed. With REDIS_URL the change is also published on Redis
 * after commit (RedisBlockChannel), and the reloads read Redis's set too.
 */
@Injectable()
export class BlockChangeNotifier implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SecurityBlocks');
  private readonly reloads: Reload[] = [];
  private reconnecting = false;
  private client?: Client;
  private timer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly redis: RedisBlockChannel,
    @Inject(securityMonitorConfig.KEY) private readonly config: ConfigType<typeof securityMonitorConfig>,
  ) {}

  /** Runs `reload` whenever the blocks change anywhere in the cluster (and once the listener is connected). */
  onChange(reload: Reload): void {
    this.reloads.push(reload);
  }

  /** Announces a change; inside a transaction it goes out when that commits. */
  async announce(change: BlockChange): Promise<void> {
    await this.transactions.query('SELECT pg_notify($1, $2)', [CHANNEL, 'changed']);
    this.redis.announce(change);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.enabled) return;
    await this.connect();
    this.timer = setInterval(() => void this.reload(), this.config.stateRefreshMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    this.reconnecting = false;
    if (this.closed) return;
    const url = (this.dataSource.options as PostgresDataSourceOptions).url;
    const client = new Client({ connectionString: url, application_name: 'sentinel-monitor-listener' });
    client.on('notification', (message) => {
      if (message.channel === CHANNEL) void this.reload();
    });
    client.on('error', () => {
      this.reconnectLater(client);
    });
    client.on('end', () => {
      this.reconnectLater(client);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.client = client;
    } catch (error) {
      this.logger.warn(`cannot listen for changes: ${error instanceof Error ? error.message : String(error)}`);
      this.reconnectLater(client);
    }
    await this.reload();
  }

  private reconnectLater(client: Client): void {
    if (this.closed || this.reconnecting || (this.client !== client && this.client !== undefined)) return;
    this.reconnecting = true;
    this.client = undefined;
    client.removeAllListeners();
    // A dying connection may still report errors (the server's FATAL, a reset): with no listener
    // left, pg would raise them as an unhandled 'error' and take the process down.
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    this.reconnectTimer = setTimeout(() => void this.connect(), RECONNECT_DELAY_MS);
    this.reconnectTimer.unref();
  }

  private async reload(): Promise<void> {
    const reloads = this.redis.enabled ? [...this.reloads, () => this.redis.readAll()] : this.reloads;
    for (const reload of reloads) {
      try {
        await reload();
      } catch (error) {
        this.logger.warn(`reloading blocks failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
