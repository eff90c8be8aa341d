import type { AuditFilterDto } from './dto/audit-query.dto';

export interface SqlFilter {
  where: string;
  params: unknown[];
}

/** The WHERE clause of a filtered audit read, with numbered parameters starting at $1. */
export function auditFilterSql(filter: AuditFilterDto): SqlFilter {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (placeholder: string) => string, value: unknown): void => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (filter.from) add((p) => `created_at >= ${p}`, filter.from);
  if (filter.to) add((p) => `created_at < ${p}`, filter.to);
  if (filter.userId) add((p) => `user_id = ${p}`, filter.userId);
  if (filter.username) add((p) => `lower(username) = lower(${p})`, filter.username);
  if (filter.action) add((p) => `action_type = ${p}`, filter.action);
  if (filter.resourceType) add((p) => `resource_type = ${p}`, filter.resourceType);
  if (filter.resourceId) add((p) => `resource_id = ${p}`, filter.resourceId);
  if (filter.success !== undefined) add((p) => `success = ${p}`, filter.success);
  if (filter.allowed !== undefined) add((p) => `allowed = ${p}`, filter.allowed);
  if (filter.ip) add((p) => `ip_address = ${p}::inet`, filter.ip);
  if (filter.traceId) add((p) => `trace_id = ${p}`, filter.traceId);
  return { where: conditions.length > 0 ? conditions.join(' AND ') : 'true', params };
}
