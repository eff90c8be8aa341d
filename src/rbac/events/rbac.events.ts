export const RbacEvent = {
  Denied: 'rbac.denied',
  GrantCreated: 'rbac.grant.created',
  GrantRevoked: 'rbac.grant.revoked',
} as const;

/** Who was refused what, on which resource, and why. */
export interface AccessDeniedEvent {
  userId: string;
  username: string;
  permissions: string[];
  resourceType?: string;
  resourceId?: string;
  reason: 'missing_permission';
  method?: string;
  path?: string;
  ip?: string;
  traceId?: string;
}

export interface GrantChangedEvent {
  grantId: string;
  userId: string;
  permission: string;
  resourceType: string | null;
  resourceId: string | null;
  actorId: string;
}
