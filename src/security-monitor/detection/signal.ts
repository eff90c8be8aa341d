/**
 * What the detector is told: one observation, from a domain event or a
 * response. Rules count these over windows; they are not security events
 * themselves (a 404 is not worth a row of its own until it is part of a scan).
 */
export type Signal =
  | (SignalBase & { kind: 'login-failed'; username: string })
  | (SignalBase & { kind: 'login-succeeded'; userId: string; username: string })
  | (SignalBase & { kind: 'api-key-refused'; keyId?: string; publicId?: string })
  | (SignalBase & { kind: 'access-denied'; userId: string; username: string; permissions: string[] })
  | (SignalBase & { kind: 'http-error'; status: number; path: string });

interface SignalBase {
  ip: string | null;
  userAgent: string | null;
  userId?: string;
  sessionId?: string;
  apiKeyId?: string;
  at: Date;
}

export type SignalKind = Signal['kind'];
