import type { Role } from '../rbac/role';

/** The caller as authentication established it; what `@CurrentUser()` returns. */
export interface AuthenticatedUser {
  id: string;
  username: string;
  role: Role;
  sessionId?: string;
  mustChangePassword: boolean;
  mfaEnabled: boolean;
}
