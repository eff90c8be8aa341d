import { domainEvent, type EventAuditRecord } from '../common/events/domain-event';

export type ProposalDecision = 'approved' | 'rejected';

/** A code proposal approved or rejected (four eyes: never by its author). */
export class ProposalDecided extends domainEvent('proposal.decided') {
  constructor(
    readonly proposalId: string,
    readonly decision: ProposalDecision,
    readonly deciderId: string,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return { resourceType: 'proposal', resourceId: this.proposalId, details: { decision: this.decision } };
  }
}
