import { Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { AuditTrail } from '../audit/audit-trail.service';

/**
 * What readiness means here: the database answers and the instance can
 * record audit rows (its queue has room and the chain moves). While it
 * cannot, a balancer should send traffic elsewhere. A change of state is
 * logged once, not once per probe.
 */
@Injectable()
export class ReadinessIndicator {
  private readonly logger = new Logger('Readiness');
  private lastProblem: string | null | undefined;

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly audit: AuditTrail,
  ) {}

  async databaseAnswers(): Promise<HealthIndicatorResult> {
    try {
      const result = await this.database.pingCheck('database', { timeout: 2000 });
      this.noteProblem(null);
      return result;
    } catch (error) {
      this.noteProblem('the database does not answer');
      throw error;
    }
  }

  auditRecords(): HealthIndicatorResult {
    const indicator = this.health.check('audit');
    const { ready, problem } = this.audit.health;
    if (ready) return indicator.up();
    this.noteProblem(problem ?? 'audit rows cannot be recorded');
    return indicator.down({ problem });
  }

  private noteProblem(problem: string | null): void {
    if (problem === this.lastProblem) return;
    if (problem === null && this.lastProblem !== undefined) this.logger.log('ready again');
    if (problem !== null) this.logger.warn(`not ready: ${problem}`);
    this.lastProblem = problem;
  }
}
