import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { type AccountLockedEvent, AuthEvent } from '../auth/events/auth.events';
import { AuditService } from './audit.service';

/** Turns domain events that are actions of the system itself into audit rows. */
@Injectable()
export class AuditEventsListener {
  private readonly logger = new Logger('Audit');

  constructor(private readonly audit: AuditService) {}

  // Handled synchronously, so the row is queued before the login that caused it is answered; that
  // login's own row is written durably after it, in the same FIFO queue.
  @OnEvent(AuthEvent.AccountLocked)
  async onAccountLocked(event: AccountLockedEvent): Promise<void> {
    await this.audit
      .recordSystemAction({
        action: 'auth.account.locked',
        resourceType: 'user',
        resourceId: event.userId,
        details: { username: event.username, failedAttempts: event.failedAttempts, lockedUntil: event.lockedUntil },
      })
      .catch((error: unknown) => {
        this.logger.error(`could not record a lockout: ${error instanceof Error ? error.message : String(error)}`);
      });
  }
}
