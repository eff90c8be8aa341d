import { ALL_PERMISSIONS, Permission } from './permission';

export const Role = {
  Admin: 'ADMIN',
  Operator: 'OPERATOR',
  Auditor: 'AUDITOR',
} as const;

export type Role = (typeof Role)[keyof typeof Role];

export const ALL_ROLES: readonly Role[] = Object.values(Role);

/** What each role may do, as the seed's RBACManager sets it. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  // Full access to all features.
  [Role.Admin]: ALL_PERMISSIONS,
  // Views and approves proposals, views agents and API toggles, views logs and metrics; no settings, no users.
  [Role.Operator]: [
    Permission.ProposalsRead,
    Permission.ProposalsApprove,
    Permission.AgentsRead,
    Permission.ApiTogglesRead,
    Permission.LogsRead,
    Permission.MetricsRead,
  ],
  // Read-only: proposals, agents, logs, metrics and the audit log.
  [Role.Auditor]: [
    Permission.ProposalsRead,
    Permission.AgentsRead,
    Permission.LogsRead,
    Permission.MetricsRead,
    Permission.AuditRead,
  ],
};
