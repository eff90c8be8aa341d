import { DomainEvent, type EventAuditRecord } from '../../common/events/domain-event';

/**
 * An administrator's change to a user (the actor is the request's). `changes`
 * names fields and their new values; it never holds a password.
 */
abstract class UserChanged extends DomainEvent {
  constructor(
    readonly actorId: string,
    readonly userId: string,
    readonly username: string,
    readonly changes: Record<string, unknown> = {},
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return { resourceType: 'user', resourceId: this.userId, details: { username: this.username, ...this.changes } };
  }
}

export class UserCreated extends UserChanged {
  static override readonly type = 'users.created';
}

export class UserUpdated extends UserChanged {
  static override readonly type = 'users.updated';
}

export class UserRoleChanged extends UserChanged {
  static override readonly type = 'users.role-changed';
}

export class UserDeactivated extends UserChanged {
  static override readonly type = 'users.deactivated';
}

export class UserDeleted extends UserChanged {
  static override readonly type = 'users.deleted';
}

export class UserPasswordReset extends UserChanged {
  static override readonly type = 'users.password-reset';
}

export class UserUnlocked extends UserChanged {
  static override readonly type = 'users.unlocked';
}

export class UserMfaReset extends UserChanged {
  static override readonly type = 'users.mfa-reset';
}
