import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { ApiKeyVerifier } from './api-key-verifier.service';

export const API_KEY_STRATEGY = 'api-key';
const AUTHORIZATION_SCHEME = /^ApiKey\s+(\S+)$/i;

/** The key from `X-API-Key: <key>` or `Authorization: ApiKey <key>` (never from the query string). */
export function presentedApiKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header.trim();
  const authorization = request.headers.authorization;
  return authorization ? AUTHORIZATION_SCHEME.exec(authorization)?.[1] : undefined;
}

/** Authenticates a request that carries an API key; one without a key is left to the other strategies. */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, API_KEY_STRATEGY) {
  constructor(private readonly verifier: ApiKeyVerifier) {
    super();
  }

  async validate(request: FastifyRequest): Promise<AuthenticatedUser | false> {
    const candidate = presentedApiKey(request);
    if (candidate === undefined) return false;
    const user = await this.verifier.verify(candidate.slice(0, 256));
    return user ?? false;
  }
}
