import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { SYSTEM_ACTOR } from './audit-entry';
import { AuditWriter } from './audit-writer.service';

export interface SystemAction {
  action: string;
  resourceType?: string;
  resourceId?: string;
  details?: Record<string, unknown>;
  success?: boolean;
  errorMessage?: string;
}

/** For what happens outside an HTTP request (jobs, reactions to events): recorded with the actor `system`. */
@Injectable()
export class AuditService {
  constructor(
    private readonly writer: AuditWriter,
    private readonly clock: Clock,
  ) {}

  recordSystemAction(action: SystemAction): Promise<void> {
    return this.writer.writeDurably({
      createdAt: this.clock.now(),
      userId: null,
      username: SYSTEM_ACTOR,
      sessionId: null,
      apiKeyId: null,
      actionType: action.action,
      resourceType: action.resourceType ?? null,
      resourceId: action.resourceId ?? null,
      actionDetails: action.details ?? null,
      ipAddress: null,
      userAgent: null,
      requestMethod: null,
      requestPath: null,
      responseStatus: null,
      executionTimeMs: null,
      success: action.success ?? true,
      allowed: null,
      errorMessage: action.errorMessage ?? null,
      metadata: null,
      traceId: null,
    });
  }
}
