import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { DomainEvents } from '../../common/events/domain-events.service';
import { violatedUniqueConstraint } from '../../database/postgres-errors.util';
import type { SignalKind } from '../detection/signal';
import type { CreatePolicyDto, UpdatePolicyDto } from '../dto/policy.dto';
import { SecurityPolicyCreated, SecurityPolicyDeleted, SecurityPolicyUpdated } from '../security-monitor.events';
import { SecurityMonitorErrorCode, SecurityMonitorException } from '../security-monitor.exception';
import { validPolicyConfig } from './policy-config';
import { POLICY_TYPES, type PolicyType, RULES } from './policy-types';
import { SecurityPolicy } from './security-policy.entity';

/**
 * The policies and their CRUD. Rules read the active policies from the table
 * each time they evaluate a signal (a handful of rows), so a change is in force
 * on every instance from the moment it commits, with no cache to go stale.
 */
@Injectable()
export class PoliciesService {
  constructor(
    @InjectRepository(SecurityPolicy) private readonly policies: Repository<SecurityPolicy>,
    private readonly events: DomainEvents,
  ) {}

  list(): Promise<SecurityPolicy[]> {
    return this.policies.find({ order: { priority: 'DESC', id: 'ASC' } });
  }

  async get(id: string): Promise<SecurityPolicy> {
    const policy = await this.policies.findOneBy({ id });
    if (!policy) throw new SecurityMonitorException(SecurityMonitorErrorCode.PolicyNotFound);
    return policy;
  }

  /** The active policies whose rules watch this kind of signal, highest priority first. */
  activeFor(signal: SignalKind): Promise<SecurityPolicy[]> {
    const types = POLICY_TYPES.filter((type: PolicyType) => RULES[type].signal === signal);
    return this.policies
      .createQueryBuilder('policy')
      .where('policy.is_active AND policy.policy_type IN (:...types)', { types })
      .orderBy('policy.priority', 'DESC')
      .addOrderBy('policy.id', 'ASC')
      .getMany();
  }

  async create(actor: AuthenticatedUser, input: CreatePolicyDto): Promise<SecurityPolicy> {
    const config = validPolicyConfig(input.type, input.config);
    const policy = await this.policies
      .save(
        this.policies.create({
          name: input.name,
          type: input.type,
          config,
          active: input.active ?? true,
          simulation: input.simulation ?? false,
          priority: input.priority ?? 0,
          createdBy: actor.username,
        }),
      )
      .catch(rethrowNameTaken);
    this.events.publish(new SecurityPolicyCreated(policy.id, policy.name));
    return policy;
  }

  async update(id: string, changes: UpdatePolicyDto): Promise<SecurityPolicy> {
    const policy = await this.get(id);
    const config = changes.config === undefined ? policy.config : validPolicyConfig(policy.type, changes.config);
    // Assigned, not merged: TypeORM's merge would blend the old config object into the new one.
    const saved = await this.policies.save(Object.assign(policy, changes, { config }));
    this.events.publish(new SecurityPolicyUpdated(saved.id, saved.name));
    return saved;
  }

  async remove(id: string): Promise<void> {
    const policy = await this.get(id);
    await this.policies.delete({ id });
    this.events.publish(new SecurityPolicyDeleted(policy.id, policy.name));
  }
}

function rethrowNameTaken(error: unknown): never {
  if (violatedUniqueConstraint(error) !== undefined) {
    throw new SecurityMonitorException(SecurityMonitorErrorCode.PolicyNameTaken);
  }
  throw error;
}
