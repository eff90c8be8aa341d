import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { apiKeysConfig } from '../config';

interface PendingUsage {
  count: number;
  lastUsedAt: Date;
  lastUsedIp: string | null;
}

/**
 * Counts key uses in memory and writes them in one statement every
 * API_KEY_USAGE_FLUSH_SECONDS (and at shutdown), so a request through a key
 * costs no write. A crash loses at most that many seconds of counts; it never
 * touches revocation, which is read from the database on every request.
 */
@Injectable()
export class ApiKeyUsageTracker implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeyUsageTracker.name);
  private pending = new Map<string, PendingUsage>();
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(apiKeysConfig.KEY) private readonly config: ConfigType<typeof apiKeysConfig>,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.usageFlushSeconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  record(keyId: string, at: Date, ip: string | undefined): void {
    const entry = this.pending.get(keyId);
    if (entry) {
      entry.count += 1;
      entry.lastUsedAt = at;
      entry.lastUsedIp = ip ?? entry.lastUsedIp;
    } else {
      this.pending.set(keyId, { count: 1, lastUsedAt: at, lastUsedIp: ip ?? null });
    }
  }

  /** Writes what has accumulated; on failure the counts are merged back for the next flush. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const rows = [...batch.entries()];
    try {
      await this.dataSource.query(
        `UPDATE api_keys AS key SET
                use_count = key.use_count + usage.count,
                last_used_at = GREATEST(key.last_used_at, usage.last_used_at),
                last_used_ip = COALESCE(usage.last_used_ip, key.last_used_ip)
           FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::inet[])
                AS usage(id, count, last_used_at, last_used_ip)
          WHERE key.id = usage.id`,
        [
          rows.map(([id]) => id),
          rows.map(([, usage]) => usage.count),
          rows.map(([, usage]) => usage.lastUsedAt),
          rows.map(([, usage]) => usage.lastUsedIp),
        ],
      );
    } catch (error) {
      this.logger.warn(
        `could not write API key usage, will retry: ${error instanceof Error ? error.message : String(error)}`,
      );
      for (const [id, usage] of rows) this.mergeBack(id, usage);
    }
  }

  private mergeBack(id: string, usage: PendingUsage): void {
    const newer = this.pending.get(id);
    if (!newer) {
      this.pending.set(id, usage);
      return;
    }
    newer.count += usage.count;
    newer.lastUsedIp ??= usage.lastUsedIp;
  }
}
