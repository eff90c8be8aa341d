import { DomainEvent, domainEvent, type EventAuditRecord } from '../common/events/domain-event';

/** Who was refused what, on which resource. */
export class AccessDenied extends domainEvent('rbac.denied') {
  constructor(
    readonly userId: string,
    readonly username: string,
    readonly permissions: string[],
    readonly resourceType?: string,
    readonly resourceId?: string,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: this.resourceType,
      resourceId: this.resourceId ?? null,
      success: false,
      details: { permissions: this.permissions },
    };
  }
}

abstract class GrantChanged extends DomainEvent {
  constructor(
    readonly grantId: string,
    readonly userId: string,
    readonly permission: string,
    readonly resourceType: string | null,
    readonly resourceId: string | null,
    readonly actorId: string,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: 'grant',
      resourceId: this.grantId,
      details: {
        userId: this.userId,
        permission: this.permission,
        scopeType: this.resourceType,
        scopeId: this.resourceId,
      },
    };
  }
}

export class GrantCreated extends GrantChanged {
  static override readonly type = 'rbac.grant.created';
}

export class GrantRevoked extends GrantChanged {
  static override readonly type = 'rbac.grant.revoked';
}
