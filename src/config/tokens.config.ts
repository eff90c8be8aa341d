import { registerAs } from '@nestjs/config';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { validateEnvironment } from './config-validation.util';
import { ToInteger } from './env-transform.util';

export const JWT_ALGORITHMS = ['EdDSA', 'ES256', 'HS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
export type ManagedJwtAlgorithm = Exclude<JwtAlgorithm, 'HS256'>;

const range = (min: number, max: number) => ({ message: `must be an integer between ${min} and ${max}` });

class TokensEnvironment {
  /** EdDSA or ES256: managed key pairs with kid, published at /.well-known/jwks.json. HS256: JWT_SECRET alone. */
  @IsIn(JWT_ALGORITHMS, { message: `must be one of ${JWT_ALGORITHMS.join(', ')}` })
  JWT_ALGORITHM: JwtAlgorithm = 'EdDSA';

  /** A new signing key pair this often; the previous ones verify until their last tokens expire. */
  @ToInteger()
  @IsInt(range(1, 3650))
  @Min(1, range(1, 3650))
  @Max(3650, range(1, 3650))
  JWT_KEY_ROTATION_DAYS = 30;

  /** Access tokens are short-lived: services that verify them offline cannot see a revoked session. */
  @ToInteger()
  @IsInt(range(1, 1440))
  @Min(1, range(1, 1440))
  @Max(1440, range(1, 1440))
  ACCESS_TOKEN_TTL_MINUTES = 15;
}

export const tokensConfig = registerAs('tokens', () => {
  const env = validateEnvironment(TokensEnvironment, process.env);
  return {
    algorithm: env.JWT_ALGORITHM,
    keyRotationDays: env.JWT_KEY_ROTATION_DAYS,
    accessTokenTtlMinutes: env.ACCESS_TOKEN_TTL_MINUTES,
  };
});
