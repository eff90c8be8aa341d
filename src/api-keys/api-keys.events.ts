import { DomainEvent, domainEvent, type EventAuditRecord } from '../common/events/domain-event';

export type ApiKeyRejectionReason =
  | 'malformed'
  | 'unknown'
  | 'bad_secret'
  | 'expired'
  | 'revoked'
  | 'owner_inactive'
  // Hashed under a pepper API_KEY_PEPPER no longer lists: the secret cannot be checked.
  | 'unknown_pepper';

/** A refused key: never the key itself, only its public id when one could be read. */
export class ApiKeyRefused extends domainEvent('api-key.refused') {
  constructor(
    readonly reason: ApiKeyRejectionReason,
    readonly publicId?: string,
    readonly keyId?: string,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: 'api-key',
      resourceId: this.keyId ?? null,
      success: false,
      details: { reason: this.reason, publicId: this.publicId ?? null },
    };
  }
}

abstract class ApiKeyChanged extends DomainEvent {
  constructor(
    readonly keyId: string,
    readonly publicId: string,
    readonly ownerId: string,
    readonly actorId: string,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: 'api-key',
      resourceId: this.keyId,
      details: { publicId: this.publicId, ownerId: this.ownerId },
    };
  }
}

export class ApiKeyIssued extends ApiKeyChanged {
  static override readonly type = 'api-key.issued';
}

export class ApiKeyRotated extends ApiKeyChanged {
  static override readonly type = 'api-key.rotated';
}

export class ApiKeyRevoked extends ApiKeyChanged {
  static override readonly type = 'api-key.revoked';
}
