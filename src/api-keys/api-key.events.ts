export const ApiKeyEvent = {
  Rejected: 'api-key.rejected',
  Created: 'api-key.created',
  Rotated: 'api-key.rotated',
  Revoked: 'api-key.revoked',
} as const;

export type ApiKeyRejectionReason = 'malformed' | 'unknown' | 'bad_secret' | 'expired' | 'revoked' | 'owner_inactive';

/** A refused key: never the key itself, only its public id when one could be read. */
export interface ApiKeyRejectedEvent {
  reason: ApiKeyRejectionReason;
  publicId?: string;
  keyId?: string;
  ip?: string;
  userAgent?: string;
  traceId?: string;
}

export interface ApiKeyChangedEvent {
  keyId: string;
  publicId: string;
  ownerId: string;
  actorId: string;
}
