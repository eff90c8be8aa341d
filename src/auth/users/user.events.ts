export const UserEvent = {
  Created: 'users.created',
  Updated: 'users.updated',
  Deleted: 'users.deleted',
  PasswordReset: 'users.password-reset',
  Unlocked: 'users.unlocked',
} as const;

/** An administrator's change to a user; `changes` never holds a password. */
export interface UserChangedEvent {
  actorId: string;
  userId: string;
  username: string;
  changes: Record<string, unknown>;
}
