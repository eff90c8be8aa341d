import { Injectable } from '@nestjs/common';
import { type PageDto, page } from '../../common/pagination/paginated';
import type { ListLogsQueryDto } from './dto/log-query.dto';
import { LogStoreRepository, type LogRow } from './log-store.repository';

/** Reads the log store for operators. */
@Injectable()
export class LogsService {
  constructor(private readonly repository: LogStoreRepository) {}

  /** Newest first; `level` keeps that level and the more severe ones. */
  async list(query: ListLogsQueryDto): Promise<PageDto<LogRow>> {
    const { limit, offset, ...filter } = query;
    const { rows, total } = await this.repository.page(filter, limit, offset);
    return page(rows, total, query);
  }
}
