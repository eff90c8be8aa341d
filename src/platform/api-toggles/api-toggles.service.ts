import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { type PageDto, page } from '../../common/pagination/paginated';
import { violatedUniqueConstraint } from '../../database/postgres-errors.util';
import { PlatformException, PlatformErrorCode } from '../platform.exception';
import { ApiToggle } from './api-toggle.entity';
import type { CreateApiToggleDto, ListApiTogglesQueryDto, UpdateApiToggleDto } from './dto/api-toggle.dto';

@Injectable()
export class ApiTogglesService {
  constructor(@InjectRepository(ApiToggle) private readonly toggles: Repository<ApiToggle>) {}

  async create(actorId: string, input: CreateApiToggleDto): Promise<ApiToggle> {
    const toggle = this.toggles.create({
      name: input.name,
      description: input.description ?? null,
      enabled: input.enabled ?? false,
      costPerCall: String(input.costPerCall ?? 0),
      updatedBy: actorId,
    });
    return this.toggles.save(toggle).catch((error: unknown) => {
      if (violatedUniqueConstraint(error) !== undefined) {
        throw new PlatformException(PlatformErrorCode.ApiToggleNameTaken);
      }
      throw error;
    });
  }

  async list(query: ListApiTogglesQueryDto): Promise<PageDto<ApiToggle>> {
    const [items, total] = await this.toggles.findAndCount({
      order: { name: 'ASC' },
      take: query.limit,
      skip: query.offset,
    });
    return page(items, total, query);
  }

  async get(id: string): Promise<ApiToggle> {
    const toggle = await this.toggles.findOneBy({ id });
    if (!toggle) throw new PlatformException(PlatformErrorCode.ApiToggleNotFound);
    return toggle;
  }

  /** The price of one call to the API of that name (names are unique ignoring case), exact; undefined without a toggle. */
  async costPerCallOf(name: string): Promise<string | undefined> {
    const toggle = await this.toggles
      .createQueryBuilder('toggle')
      .select(['toggle.id', 'toggle.costPerCall'])
      .where('lower(toggle.name) = lower(:name)', { name })
      .getOne();
    return toggle?.costPerCall;
  }

  async update(actorId: string, id: string, changes: UpdateApiToggleDto): Promise<ApiToggle> {
    const toggle = await this.get(id);
    const { costPerCall, ...rest } = changes;
    this.toggles.merge(toggle, rest, { updatedBy: actorId });
    if (costPerCall !== undefined) toggle.costPerCall = String(costPerCall);
    return this.toggles.save(toggle);
  }
}
