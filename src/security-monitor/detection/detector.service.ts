import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ConcurrencyLimiter, QueueFullError } from '../../common/concurrency/concurrency-limiter';
import { securityMonitorConfig } from '../../config';
import { Allowlist } from '../blocks/allowlist';
import { clientAddress } from '../blocks/network.util';
import { PoliciesService } from '../policies/policies.service';
import { RULES, type RuleSpec } from '../policies/policy-types';
import type { SecurityPolicy } from '../policies/security-policy.entity';
import { Responder } from './responder.service';
import type { Signal } from './signal';
import { type WindowHit, WindowStore } from './window-store';

/** Signals evaluated at once, and waiting at most; beyond that a flood is shed (and counted), not queued. */
const CONCURRENCY = 4;
const MAX_QUEUED = 5000;

/**
 * Evaluates every signal against the active policies that watch it: counts
 * its window in PostgreSQL (shared by all instances), and fires a policy
 * whose threshold is reached, once per burst (a compare-and-set claim).
 * Allowlisted addresses and users never enter a window. Runs off the
 * request path: callers hand a signal over and go on.
 */
@Injectable()
export class Detector {
  private readonly logger = new Logger('SecurityMonitor');
  private readonly limiter = new ConcurrencyLimiter(CONCURRENCY, MAX_QUEUED);
  private readonly pending = new Set<Promise<void>>();
  private shedCount = 0;

  constructor(
    private readonly windows: WindowStore,
    private readonly policies: PoliciesService,
    private readonly responder: Responder,
    private readonly allowlist: Allowlist,
    @Inject(securityMonitorConfig.KEY) private readonly config: ConfigType<typeof securityMonitorConfig>,
  ) {}

  /** Signals dropped because too many waited. */
  get shed(): number {
    return this.shedCount;
  }

  observe(signal: Signal): void {
    if (!this.config.enabled || this.allowlist.coversIp(signal.ip)) return;
    const task = this.limiter
      .run(() => this.evaluate({ ...signal, ip: clientAddress(signal.ip) }))
      .catch((error: unknown) => {
        if (error instanceof QueueFullError) {
          this.shedCount++;
          return;
        }
        this.logger.error(
          `evaluating ${signal.kind} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      })
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
  }

  /** Resolves once every signal handed over so far has been evaluated (tests, benchmarks). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async evaluate(signal: Signal): Promise<void> {
    await this.windows.add(this.hitsOf(signal));
    if (signal.kind === 'login-succeeded') {
      // Its one rule fires only for an ip new to the user: an ordinary login costs one statement.
      if (signal.ip === null || !(await this.windows.isNewIpForUser(signal.userId, signal.ip, signal.at))) return;
    }
    for (const policy of await this.policies.activeFor(signal.kind)) {
      const rule = RULES[policy.type];
      const subject = this.subjectOf(rule, signal);
      if (subject === undefined) continue;
      if (rule.counts === 'first-seen') {
        await this.responder.fire(policy, signal, { subject, count: 1, windowSeconds: null, evidence: null });
        continue;
      }
      await this.evaluateWindow(policy, rule, signal, subject);
    }
  }

  private async evaluateWindow(policy: SecurityPolicy, rule: RuleSpec, signal: Signal, subject: string): Promise<void> {
    const { threshold = 1, windowSeconds = 1, statuses } = policy.config;
    const key = windowKey(rule);
    const since = new Date(signal.at.getTime() - windowSeconds * 1000);
    const count = await this.windows.count(key, subject, policy.id, since, statuses?.map(String));
    const reached = rule.counts === 'hits' ? count.hits : count.distinct;
    if (reached < threshold) return;
    if (!(await this.windows.claim(policy.id, subject, signal.at, count.lastFiredAt))) return;
    const from = count.lastFiredAt && count.lastFiredAt > since ? count.lastFiredAt : since;
    const evidence = await this.windows.evidence(key, subject, from);
    await this.responder.fire(policy, signal, { subject, count: reached, windowSeconds, evidence });
  }

  /**
   * The window the rule keeps for this signal, or undefined when it has none.
   * An allowlisted user has no window of their own; tries of their name still
   * count against the address they come from.
   */
  private subjectOf(rule: RuleSpec, signal: Signal): string | undefined {
    if (rule.subject === 'ip') return signal.ip ?? undefined;
    const username = 'username' in signal ? signal.username : undefined;
    if (this.allowlist.coversUser(username)) return undefined;
    return rule.subject === 'username' ? username?.toLowerCase() : signal.userId;
  }

  private hitsOf(signal: Signal): WindowHit[] {
    const base = { userAgent: signal.userAgent, at: signal.at };
    const byIp = (attribute: string | null, detail: string | null): WindowHit[] =>
      signal.ip ? [{ ...base, signal: `${signal.kind}:ip`, subject: signal.ip, attribute, detail }] : [];
    switch (signal.kind) {
      case 'login-failed':
        return [
          ...byIp(signal.username.toLowerCase(), null),
          {
            ...base,
            signal: 'login-failed:username',
            subject: signal.username.toLowerCase(),
            attribute: signal.ip,
            detail: null,
          },
        ];
      case 'api-key-refused':
        return byIp(signal.publicId ?? null, signal.publicId ?? null);
      case 'http-error':
        return byIp(String(signal.status), signal.path);
      case 'access-denied':
        return [
          {
            ...base,
            signal: 'access-denied:user',
            subject: signal.userId,
            attribute: signal.permissions.join(','),
            detail: signal.ip,
          },
        ];
      case 'login-succeeded':
        return [];
    }
  }
}

function windowKey(rule: RuleSpec): string {
  return `${rule.signal}:${rule.subject}`;
}
