import { DomainEvent, domainEvent, type EventAuditRecord } from '../common/events/domain-event';
import type { SecretType } from './entities/secret.entity';
import type { RotationTrigger } from './entities/secret-rotation.entity';

/** Every secret event names the secret and a version, never its value or any key. */
abstract class SecretEvent extends DomainEvent {
  constructor(
    readonly secretId: string,
    readonly name: string,
    readonly version: number,
  ) {
    super();
  }

  protected details(): Record<string, unknown> {
    return { name: this.name, version: this.version };
  }

  override audit(): EventAuditRecord {
    return { resourceType: 'secret', resourceId: this.secretId, details: this.details() };
  }
}

export class SecretCreated extends SecretEvent {
  static override readonly type = 'secret.created';

  constructor(
    secretId: string,
    name: string,
    readonly secretType: SecretType,
    readonly generated: boolean,
  ) {
    super(secretId, name, 1);
  }

  protected override details(): Record<string, unknown> {
    return { ...super.details(), type: this.secretType, generated: this.generated };
  }
}

/** A new version written (PUT), with the version the writer saw. */
export class SecretVersionWritten extends SecretEvent {
  static override readonly type = 'secret.written';

  constructor(
    secretId: string,
    name: string,
    version: number,
    readonly cas: number | null,
  ) {
    super(secretId, name, version);
  }

  protected override details(): Record<string, unknown> {
    return { ...super.details(), cas: this.cas };
  }
}

/** A value was read: who and from where are the event's origin; which version is here. */
export class SecretRead extends SecretEvent {
  static override readonly type = 'secret.read';
}

export class SecretRotated extends SecretEvent {
  static override readonly type = 'secret.rotated';

  constructor(
    secretId: string,
    name: string,
    version: number,
    readonly fromVersion: number,
    readonly trigger: RotationTrigger,
  ) {
    super(secretId, name, version);
  }

  protected override details(): Record<string, unknown> {
    return { ...super.details(), fromVersion: this.fromVersion, trigger: this.trigger };
  }
}

/** A due secret the schedule cannot generate (an outside provider's key): someone must write a new value. */
export class SecretRotationOverdue extends SecretEvent {
  static override readonly type = 'secret.rotation-overdue';

  constructor(
    secretId: string,
    name: string,
    version: number,
    readonly dueAt: Date,
  ) {
    super(secretId, name, version);
  }

  protected override details(): Record<string, unknown> {
    return { ...super.details(), dueAt: this.dueAt.toISOString() };
  }
}

/** A secret whose next rotation is within SECRETS_EXPIRY_WARNING_DAYS. */
export class SecretExpiring extends SecretEvent {
  static override readonly type = 'secret.expiring';

  constructor(
    secretId: string,
    name: string,
    version: number,
    readonly dueAt: Date,
    readonly generatable: boolean,
  ) {
    super(secretId, name, version);
  }

  protected override details(): Record<string, unknown> {
    return { ...super.details(), dueAt: this.dueAt.toISOString(), generatable: this.generatable };
  }
}

export class SecretVersionDeleted extends SecretEvent {
  static override readonly type = 'secret.version-deleted';
}

export class SecretVersionUndeleted extends SecretEvent {
  static override readonly type = 'secret.version-undeleted';
}

export class SecretVersionDestroyed extends SecretEvent {
  static override readonly type = 'secret.version-destroyed';
}

export class SecretDeactivated extends SecretEvent {
  static override readonly type = 'secret.deactivated';
}

/** The whole secret, every version and its metadata, removed. */
export class SecretDeleted extends SecretEvent {
  static override readonly type = 'secret.deleted';
}

/** A stored value or wrapped data key did not verify: altered in the database, or its master key is missing. */
export class SecretIntegrityFailed extends domainEvent('secret.integrity-failed') {
  constructor(
    readonly resourceType: 'secret' | 'transit-key',
    readonly resourceId: string,
    readonly what: 'data-key' | 'value' | 'key-version',
    readonly version: number | null,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: this.resourceType,
      resourceId: this.resourceId,
      success: false,
      details: { what: this.what, version: this.version },
    };
  }
}

abstract class TransitKeyEvent extends DomainEvent {
  constructor(
    readonly keyId: string,
    readonly name: string,
    readonly latestVersion: number,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: 'transit-key',
      resourceId: this.keyId,
      details: { name: this.name, latestVersion: this.latestVersion },
    };
  }
}

export class TransitKeyCreated extends TransitKeyEvent {
  static override readonly type = 'transit.key-created';
}

export class TransitKeyRotated extends TransitKeyEvent {
  static override readonly type = 'transit.key-rotated';
}

export class TransitKeyConfigured extends TransitKeyEvent {
  static override readonly type = 'transit.key-configured';
}

export class TransitKeyDeleted extends TransitKeyEvent {
  static override readonly type = 'transit.key-deleted';
}

/** The master key that wraps data keys changed: how many keys moved to it. */
export class MasterKeyRewrapped extends domainEvent('secrets.master-key-rewrapped') {
  constructor(
    readonly masterKeyId: string,
    readonly secrets: number,
    readonly transitKeyVersions: number,
    readonly signingKeys: number,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: 'master-key',
      resourceId: this.masterKeyId,
      details: { secrets: this.secrets, transitKeyVersions: this.transitKeyVersions, signingKeys: this.signingKeys },
    };
  }
}

/** A new JWT signing key signs from now on; the previous one still verifies its tokens until they expire. */
export class JwtSigningKeyRotated extends domainEvent('secrets.jwt-key-rotated') {
  constructor(
    readonly kid: string,
    readonly previousKid: string | null,
    readonly trigger: 'manual' | 'schedule',
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: 'jwt-signing-key',
      resourceId: this.kid,
      details: { previousKid: this.previousKid, trigger: this.trigger },
    };
  }
}
