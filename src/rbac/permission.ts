/**
 * The permission catalogue: every permission a route can require, as
 * `resource:action`. Routes name these constants, never string literals.
 */
export const Permission = {
  ProposalsRead: 'proposals:read',
  ProposalsWrite: 'proposals:write',
  ProposalsApprove: 'proposals:approve',
  AgentsRead: 'agents:read',
  AgentsManage: 'agents:manage',
  ApiTogglesRead: 'api-toggles:read',
  ApiTogglesWrite: 'api-toggles:write',
  LogsRead: 'logs:read',
  MetricsRead: 'metrics:read',
  AuditRead: 'audit:read',
  BackupsManage: 'backups:manage',
  UsersManage: 'users:manage',
  SecretsRead: 'secrets:read',
  SecretsWrite: 'secrets:write',
  SecretsManage: 'secrets:manage',
  TransitEncrypt: 'transit:encrypt',
  TransitDecrypt: 'transit:decrypt',
  TransitManage: 'transit:manage',
  TokensIntrospect: 'tokens:introspect',
  SecurityRead: 'security:read',
  SecurityManage: 'security:manage',
  SettingsWrite: 'settings:write',
} as const;

export type Permission = (typeof Permission)[keyof typeof Permission];

export const ALL_PERMISSIONS: readonly Permission[] = Object.values(Permission);
