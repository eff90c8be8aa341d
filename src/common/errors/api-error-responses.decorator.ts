import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from './error-response.dto';

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed or fails validation.',
  401: 'No valid credentials were presented.',
  403: 'The caller lacks the permission this route needs.',
  404: 'The resource does not exist.',
  409: 'The request conflicts with the current state.',
  413: 'The request body is too large.',
  429: 'Too many requests; retry later.',
  503: 'A dependency (the database) is unavailable.',
};

/**
 * Documents the error responses a route can give, all with the uniform
 * ErrorResponseDto body: `@ApiErrorResponses(400, 401, 403)`.
 */
export function ApiErrorResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'Error.', type: ErrorResponseDto }),
    ),
  );
}
