import { domainEvent, type EventAuditRecord } from '../../common/events/domain-event';

/** A spent refresh token came back: it was copied, so its session is revoked. */
export class RefreshTokenReused extends domainEvent('auth.refresh-token.reused') {
  constructor(
    readonly userId: string,
    readonly sessionId: string,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      userId: this.userId,
      sessionId: this.sessionId,
      resourceType: 'session',
      resourceId: this.sessionId,
      success: false,
    };
  }
}
