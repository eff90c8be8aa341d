import { domainEvent, type EventAuditRecord } from '../common/events/domain-event';
import type { Severity } from './events/security-event';
import type { PolicyResponse } from './policies/policy-types';

/** A rule's window filled: what it saw and what it did (or, in simulation, would have done). */
export class SecurityRuleFired extends domainEvent('security.rule-fired') {
  constructor(
    readonly policyId: string,
    readonly policyName: string,
    readonly subject: string,
    readonly severity: Severity,
    readonly responses: PolicyResponse[],
    readonly simulation: boolean,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: 'security-policy',
      resourceId: this.policyId,
      details: {
        policy: this.policyName,
        subject: this.subject,
        severity: this.severity,
        responses: this.responses,
        simulation: this.simulation,
      },
    };
  }
}

export class SecurityIpBlocked extends domainEvent('security.ip-blocked') {
  constructor(
    readonly blockId: string,
    readonly network: string,
    readonly expiresAt: Date,
    readonly offence: number,
    readonly reason: string,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: 'security-block',
      resourceId: this.blockId,
      details: {
        network: this.network,
        expiresAt: this.expiresAt.toISOString(),
        offence: this.offence,
        reason: this.reason,
      },
    };
  }
}

export class SecurityIpUnblocked extends domainEvent('security.ip-unblocked') {
  constructor(
    readonly blockId: string,
    readonly network: string,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return { resourceType: 'security-block', resourceId: this.blockId, details: { network: this.network } };
  }
}

export class SecurityEventResolved extends domainEvent('security.event-resolved') {
  constructor(
    readonly eventId: string,
    readonly resolvedBy: string,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return { resourceType: 'security-event', resourceId: this.eventId };
  }
}

/** An alert that could not be delivered on a channel after every retry. */
export class SecurityAlertFailed extends domainEvent('security.alert-failed') {
  constructor(
    readonly alertId: string,
    readonly channel: string,
    readonly attempts: number,
    readonly lastError: string,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: 'security-alert',
      resourceId: this.alertId,
      success: false,
      details: { channel: this.channel, attempts: this.attempts, lastError: this.lastError },
    };
  }
}

abstract class PolicyChanged extends domainEvent('security.policy.changed') {
  constructor(
    readonly policyId: string,
    readonly name: string,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return { resourceType: 'security-policy', resourceId: this.policyId, details: { name: this.name } };
  }
}

export class SecurityPolicyCreated extends PolicyChanged {
  static override readonly type = 'security.policy.created';
}

export class SecurityPolicyUpdated extends PolicyChanged {
  static override readonly type = 'security.policy.updated';
}

export class SecurityPolicyDeleted extends PolicyChanged {
  static override readonly type = 'security.policy.deleted';
}
