import { ApiProperty } from '@nestjs/swagger';

/** The one body every error has, whatever failed and wherever. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request', description: 'The HTTP reason phrase of statusCode.' })
  error!: string;

  @ApiProperty({
    example: 'VALIDATION_FAILED',
    description:
      "A stable code to branch on: a module exception's own (e.g. LAST_ADMIN, INVALID_CREDENTIALS) or, for " +
      'errors without one, the status in words (NOT_FOUND, RATE_LIMITED, DATABASE_UNAVAILABLE, ...).',
  })
  code!: string;

  @ApiProperty({ example: 'username must be a string', description: 'What went wrong, safe to show.' })
  message!: string;

  @ApiProperty({
    example: '4bf92f3577b34da6a3ce929d0e0e4736',
    description: 'The request id (x-request-id response header); quote it when asking about a failure.',
  })
  traceId!: string;
}
