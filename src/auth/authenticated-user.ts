import type { Permission } from '../rbac/permission';
import type { Role } from '../rbac/role';

/** The caller as authentication established it; what `@CurrentUser()` returns. */
export interface AuthenticatedUser {
  id: string;
  username: string;
  role: Role;
  /** Set for a login session (bearer token). */
  sessionId?: string;
  /** Set when the caller presented an API key instead. */
  apiKeyId?: string;
  /** The key's own permission list, when it has one: the caller gets at most these, and only those the owner also has. */
  apiKeyPermissions?: readonly Permission[];
  mustChangePassword: boolean;
  mfaEnabled: boolean;
}
