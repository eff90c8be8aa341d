import { BadRequestException, type ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { DomainException } from '../../common/errors/domain.exception';
import { AuthException, AuthErrorCode } from '../auth.exception';
import { LoginDto } from '../dto/login.dto';
import { LOCAL_STRATEGY } from '../strategies/local.strategy';

/**
 * Runs the local strategy on POST /auth/login. Guards run before pipes, so the
 * body is validated here first: a malformed login is a 400 and never reaches
 * password hashing or the failed-attempt counter.
 */
@Injectable()
export class LoginGuard extends AuthGuard(LOCAL_STRATEGY) {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const errors = await validate(plainToInstance(LoginDto, request.body ?? {}), {
      whitelist: true,
      forbidNonWhitelisted: true,
    });
    if (errors.length > 0) {
      throw new BadRequestException(errors.flatMap((error) => Object.values(error.constraints ?? {})));
    }
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<Login>(error: unknown, login: Login | false): Login {
    if (error instanceof DomainException) throw error;
    if (error || !login) throw new AuthException(AuthErrorCode.InvalidCredentials);
    return login;
  }
}
