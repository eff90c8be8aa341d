import { HttpStatus } from '@nestjs/common';

/** What one error code means to a caller: its HTTP status and a message safe to show. */
export type ErrorOutcome = readonly [HttpStatus, string];

/**
 * Base for a module's own exception: a stable code from the module's enum,
 * looked up in the module's table of outcomes (status and default message).
 * The global filter turns it into the uniform error body.
 */
export abstract class DomainException<Code extends string = string> extends Error {
  readonly status: HttpStatus;

  protected constructor(
    readonly code: Code,
    outcomes: Readonly<Record<Code, ErrorOutcome>>,
    detail?: string,
  ) {
    const [status, message] = outcomes[code];
    super(detail ?? message);
    this.status = status;
    this.name = new.target.name;
  }
}
