import { HttpStatus } from '@nestjs/common';

/**
 * Base for a module's own exception: a stable code from the module's enum,
 * the HTTP status it maps to, and a message safe to show the caller. The
 * global filter turns it into the uniform error body.
 */
export abstract class DomainException<Code extends string = string> extends Error {
  protected constructor(
    readonly code: Code,
    readonly status: HttpStatus,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
