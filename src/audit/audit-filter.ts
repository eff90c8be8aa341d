import { type SqlFilter, SqlFilterBuilder } from '../database/sql-filter';
import type { AuditFilterDto } from './dto/audit-query.dto';

/** The WHERE clause of a filtered audit read, with numbered parameters starting at $1. */
export function auditFilterSql(filter: AuditFilterDto): SqlFilter {
  return new SqlFilterBuilder()
    .when(filter.from, (p) => `created_at >= ${p}`)
    .when(filter.to, (p) => `created_at < ${p}`)
    .when(filter.userId, (p) => `user_id = ${p}`)
    .when(filter.username, (p) => `lower(username) = lower(${p})`)
    .when(filter.action, (p) => `action_type = ${p}`)
    .when(filter.resourceType, (p) => `resource_type = ${p}`)
    .when(filter.resourceId, (p) => `resource_id = ${p}`)
    .when(filter.success, (p) => `success = ${p}`)
    .when(filter.allowed, (p) => `allowed = ${p}`)
    .when(filter.ip, (p) => `ip_address = ${p}::inet`)
    .when(filter.traceId, (p) => `trace_id = ${p}`)
    .when(filter.errorCode, (p) => `error_code = ${p}`)
    .build();
}
