import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiProperty, getSchemaPath } from '@nestjs/swagger';

/** One page of a list: the items, the total matching the filter, and the page asked for. */
export class PageDto<T> {
  items!: T[];

  @ApiProperty({ description: 'Items matching the filter, on every page.' })
  total!: number;

  @ApiProperty()
  limit!: number;

  @ApiProperty()
  offset!: number;
}

export function page<T>(items: T[], total: number, query: { limit: number; offset: number }): PageDto<T> {
  return { items, total, limit: query.limit, offset: query.offset };
}

/** The same page with every item converted, e.g. entities to DTOs. */
export function mapPage<T, U>(source: PageDto<T>, convert: (item: T) => U): PageDto<U> {
  return { items: source.items.map(convert), total: source.total, limit: source.limit, offset: source.offset };
}

/** Documents a list endpoint's page of `model` the same way everywhere. */
export function ApiPageResponse(model: Type): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(PageDto, model),
    ApiOkResponse({
      description: `A page of ${model.name.replace(/Dto$/, '')} items; page with limit (1-100, default 20) and offset.`,
      schema: {
        allOf: [
          { $ref: getSchemaPath(PageDto) },
          { properties: { items: { type: 'array', items: { $ref: getSchemaPath(model) } } }, required: ['items'] },
        ],
      },
    }),
  );
}
