import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-local';
import { requestOrigin } from '../decorators/request-origin.decorator';
import type { LoginDto } from '../dto/login.dto';
import { LoginService, type VerifiedLogin } from '../login.service';

export const LOCAL_STRATEGY = 'local';

/** Username and password (and the second factor, when enabled) from the login body. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, LOCAL_STRATEGY) {
  constructor(private readonly login: LoginService) {
    super({ usernameField: 'username', passwordField: 'password', passReqToCallback: true });
  }

  validate(request: FastifyRequest, username: string, password: string): Promise<VerifiedLogin> {
    const { totpCode, recoveryCode } = request.body as LoginDto;
    return this.login.verify({ username, password, totpCode, recoveryCode }, requestOrigin(request));
  }
}
