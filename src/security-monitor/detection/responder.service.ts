import { Injectable, Logger } from '@nestjs/common';
import { ApiKeysService } from '../../api-keys/api-keys.service';
import { AccountLockService } from '../../auth/lockout/account-lock.service';
import { SessionService } from '../../auth/sessions/session.service';
import { Clock } from '../../common/clock/clock';
import { DomainEvents } from '../../common/events/domain-events.service';
import { AlertsService } from '../alerts/alerts.service';
import { Allowlist } from '../blocks/allowlist';
import { BlocksService } from '../blocks/blocks.service';
import { threatLevelOf } from '../events/security-event';
import { SecurityEventStore } from '../events/security-event-store';
import type { PolicyResponse } from '../policies/policy-types';
import { RULES } from '../policies/policy-types';
import type { SecurityPolicy } from '../policies/security-policy.entity';
import { SecurityRuleFired } from '../security-monitor.events';
import type { Signal } from './signal';
import type { WindowEvidence } from './window-store';

/** What a rule saw when it fired: the alert context. */
export interface Observation {
  subject: string;
  count: number;
  windowSeconds: number | null;
  evidence: WindowEvidence | null;
}

/** What one response did: done (and what), skipped (and why), or failed. */
type ResponseOutcome = { response: PolicyResponse; outcome: 'done' | 'skipped' | 'failed' | 'simulated' } & Record<
  string,
  unknown
>;

/**
 * Takes a fired policy's responses (or, in simulation, records them only)
 * through the modules that own what they act on, and records the firing as a
 * security event with its evidence. One response failing never stops the others.
 */
@Injectable()
export class Responder {
  private readonly logger = new Logger('SecurityMonitor');

  constructor(
    private readonly blocks: BlocksService,
    private readonly accountLocks: AccountLockService,
    private readonly sessions: SessionService,
    private readonly apiKeys: ApiKeysService,
    private readonly alerts: AlertsService,
    private readonly allowlist: Allowlist,
    private readonly store: SecurityEventStore,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
  ) {}

  async fire(policy: SecurityPolicy, signal: Signal, observation: Observation): Promise<void> {
    const planned = policy.config.responses;
    const taken: ResponseOutcome[] = [];
    for (const response of planned.filter((name) => name !== 'alert')) {
      taken.push(policy.simulation ? { response, outcome: 'simulated' } : await this.take(response, policy, signal));
    }
    const summary = `${policy.name}: ${RULES[policy.type].description} reached ${observation.count} for ${observation.subject}`;
    if (planned.includes('alert')) {
      taken.push(
        policy.simulation
          ? { response: 'alert', outcome: 'simulated' }
          : await this.alert(policy, observation, summary, taken),
      );
    }
    await this.store.record({
      eventType: 'security.rule-fired',
      severity: policy.config.severity,
      source: 'security-monitor',
      userId: signal.userId ?? null,
      sessionId: signal.sessionId ?? null,
      ip: signal.ip,
      userAgent: signal.userAgent,
      threatLevel: threatLevelOf(policy.config.severity),
      details: {
        policy: { id: policy.id, name: policy.name, type: policy.type },
        summary,
        subject: observation.subject,
        count: observation.count,
        threshold: policy.config.threshold ?? null,
        windowSeconds: observation.windowSeconds,
        evidence: observation.evidence,
        simulation: policy.simulation,
        responses: taken,
      },
      createdAt: this.clock.now(),
    });
    this.events.publish(
      new SecurityRuleFired(
        policy.id,
        policy.name,
        observation.subject,
        policy.config.severity,
        planned,
        policy.simulation,
      ),
    );
  }

  private async take(response: PolicyResponse, policy: SecurityPolicy, signal: Signal): Promise<ResponseOutcome> {
    try {
      return await this.act(response, policy, signal);
    } catch (error) {
      this.logger.error(
        `${policy.name}: ${response} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      return { response, outcome: 'failed' };
    }
  }

  private async act(response: PolicyResponse, policy: SecurityPolicy, signal: Signal): Promise<ResponseOutcome> {
    const username = 'username' in signal ? signal.username : undefined;
    if (response === 'block-ip') {
      const settings = policy.config.block;
      if (!signal.ip || !settings) return { response, outcome: 'skipped', reason: 'no ip' };
      const result = await this.blocks.blockAddress({
        ip: signal.ip,
        settings,
        reason: `policy ${policy.name}`,
        policyId: policy.id,
      });
      if (!result.block) return { response, outcome: 'skipped', reason: result.refused };
      const { block } = result;
      return {
        response,
        outcome: result.created ? 'done' : 'skipped',
        ...(result.created ? {} : { reason: 'already blocked' }),
        blockId: block.id,
        network: block.network,
        offence: block.offence,
        expiresAt: block.expires_at.toISOString(),
      };
    }
    const userId = signal.userId;
    if (response === 'revoke-api-key') {
      const keyId = signal.kind === 'api-key-refused' ? signal.keyId : signal.apiKeyId;
      if (!keyId) return { response, outcome: 'skipped', reason: 'no known key' };
      return { response, outcome: (await this.apiKeys.revokeAsSystem(keyId)) ? 'done' : 'skipped', keyId };
    }
    if (!userId) return { response, outcome: 'skipped', reason: 'no known user' };
    if (this.allowlist.coversUser(username)) return { response, outcome: 'skipped', reason: 'allowlisted' };
    if (response === 'lock-account') {
      const until = new Date(this.clock.now().getTime() + (policy.config.lockMinutes ?? 0) * 60_000);
      const locked = await this.accountLocks.lock(userId, until);
      return { response, outcome: locked ? 'done' : 'skipped', userId, lockedUntil: until.toISOString() };
    }
    const revoked = await this.sessions.revokeAll(userId, 'security_response');
    return { response, outcome: 'done', userId, sessionsRevoked: revoked };
  }

  private async alert(
    policy: SecurityPolicy,
    observation: Observation,
    summary: string,
    taken: ResponseOutcome[],
  ): Promise<ResponseOutcome> {
    try {
      const outcome = await this.alerts.raise({
        dedupKey: `policy:${policy.id}:${observation.subject}`,
        policyId: policy.id,
        severity: policy.config.severity,
        title: `${policy.name} fired for ${observation.subject}`,
        subject: observation.subject,
        channels: policy.config.alert?.channels,
        dedupSeconds: policy.config.alert?.dedupSeconds,
        message: {
          title: `${policy.name} fired for ${observation.subject}`,
          severity: policy.config.severity,
          policy: { id: policy.id, name: policy.name, type: policy.type },
          subject: observation.subject,
          summary,
          evidence: { count: observation.count, windowSeconds: observation.windowSeconds, ...observation.evidence },
          responses: taken.filter((item) => item.outcome === 'done').map((item) => item.response),
          occurredAt: this.clock.now().toISOString(),
        },
      });
      return { response: 'alert', outcome: outcome.deduplicated ? 'skipped' : 'done', ...outcome };
    } catch (error) {
      this.logger.error(`${policy.name}: alert failed: ${error instanceof Error ? error.message : String(error)}`);
      return { response: 'alert', outcome: 'failed' };
    }
  }
}
