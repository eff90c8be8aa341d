import { Module } from '@nestjs/common';
import { jwtSigningKeyProvider, JWT_SIGNING_KEY } from './jwt-signing-key.provider';

/** Resolves the JWT signing key once, for both signing (JwtModule) and verifying (AccessTokenVerifier). */
@Module({ providers: [jwtSigningKeyProvider], exports: [JWT_SIGNING_KEY] })
export class SigningKeyModule {}
