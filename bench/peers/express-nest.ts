/**
 * The setup a user would build without Sentinel: a plain NestJS 12 app on Express with passport-jwt
 * (the secret passed as configured, a string), TypeORM entities for the same session-join-user lookup,
 * a role guard, an audit row per request, a prom-client histogram and a validation pipe.
 * Started by bench/fast-path.bench.ts as its own process (see launch.ts).
 */
import 'reflect-metadata';
import {
  Body,
  type CanActivate,
  ConflictException,
  Controller,
  type ExecutionContext,
  ForbiddenException,
  Get,
  Header,
  Injectable,
  Module,
  type MiddlewareConsumer,
  type NestMiddleware,
  type NestModule,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
  SetMetadata,
  UnauthorizedException,
  UseGuards,
  ValidationPipe,
} from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { InjectDataSource, InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { IsIn, IsObject, IsOptional, IsString, Length } from 'class-validator';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { Histogram, register } from 'prom-client';
import {
  Column,
  CreateDateColumn,
  DataSource,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  Repository,
  UpdateDateColumn,
} from 'typeorm';
import {
  type AccessClaims,
  type AgentBody,
  announceReady,
  closeOnSignals,
  isUniqueViolation,
  MANAGE_ROLES,
  type PeerConfig,
  peerConfig,
  prepareDatabase,
  type Principal,
  READ_ROLES,
  sessionVerdict,
} from './peer-common';

const config: PeerConfig = peerConfig('express_nest');

@Entity({ name: 'users' })
class UserEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'text' }) username!: string;
  @Column({ type: 'text' }) email!: string;
  @Column({ name: 'display_name', type: 'text', nullable: true }) displayName!: string | null;
  @Column({ type: 'text' }) role!: string;
  @Column({ name: 'is_active', type: 'boolean' }) isActive!: boolean;
  @Column({ name: 'must_change_password', type: 'boolean' }) mustChangePassword!: boolean;
  @Column({ name: 'password_hash', type: 'text' }) passwordHash!: string;
  @Column({ name: 'password_changed_at', type: 'timestamptz' }) passwordChangedAt!: Date;
  @Column({ name: 'failed_login_attempts', type: 'integer' }) failedLoginAttempts!: number;
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true }) lockedUntil!: Date | null;
  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true }) lastLoginAt!: Date | null;
  @Column({ name: 'last_login_ip', type: 'inet', nullable: true }) lastLoginIp!: string | null;
  @Column({ name: 'totp_secret', type: 'text', nullable: true }) totpSecret!: string | null;
  @Column({ name: 'totp_pending_secret', type: 'text', nullable: true }) totpPendingSecret!: string | null;
  @Column({ name: 'totp_enabled_at', type: 'timestamptz', nullable: true }) totpEnabledAt!: Date | null;
  @Column({ name: 'totp_last_used_step', type: 'bigint', nullable: true }) totpLastUsedStep!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'sessions' })
class SessionEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'last_seen_at', type: 'timestamptz' }) lastSeenAt!: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
  @Column({ name: 'revoked_reason', type: 'text', nullable: true }) revokedReason!: string | null;
  @Column({ type: 'inet', nullable: true }) ip!: string | null;
  @Column({ name: 'user_agent', type: 'text', nullable: true }) userAgent!: string | null;
}

@Entity({ name: 'agents' })
class AgentEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text', nullable: true }) description!: string | null;
  @Column({ type: 'text', default: 'active' }) status!: string;
  @Column({ type: 'jsonb', default: {} }) config!: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'audit_log' })
class AuditRowEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'user_id', type: 'uuid', nullable: true }) userId!: string | null;
  @Column({ name: 'session_id', type: 'uuid', nullable: true }) sessionId!: string | null;
  @Column({ type: 'text' }) action!: string;
  @Column({ name: 'resource_type', type: 'text', nullable: true }) resourceType!: string | null;
  @Column({ name: 'resource_id', type: 'text', nullable: true }) resourceId!: string | null;
  @Column({ type: 'text' }) method!: string;
  @Column({ type: 'text' }) path!: string;
  @Column({ type: 'integer' }) status!: number;
  @Column({ type: 'inet', nullable: true }) ip!: string | null;
  @Column({ name: 'user_agent', type: 'text', nullable: true }) userAgent!: string | null;
  @Column({ name: 'duration_ms', type: 'double precision', nullable: true }) durationMs!: number | null;
  @Column({ type: 'boolean' }) success!: boolean;
}

/** What the guards and interceptors read of Express's request and response. */
interface PeerRequest {
  method: string;
  originalUrl: string;
  ip?: string;
  headers: Record<string, string | string[] | undefined>;
  route?: { path: string };
  user?: Principal;
}

interface PeerResponse {
  statusCode: number;
  once: (event: 'finish', listener: () => void) => unknown;
}

class CreateAgentDto {
  @IsString()
  @Length(1, 100)
  name!: string;

  @IsOptional()
  @IsString()
  @Length(0, 2000)
  description?: string;

  @IsOptional()
  @IsIn(['active', 'paused'])
  status?: 'active' | 'paused';

  @IsOptional()
  @IsObject()
  config?: Record<string, unknown>;
}

function agentBody(agent: AgentEntity): AgentBody {
  return {
    id: agent.id,
    name: agent.name,
    description: agent.description,
    status: agent.status,
    config: agent.config,
    createdAt: agent.createdAt.toISOString(),
    updatedAt: agent.updatedAt.toISOString(),
  };
}

function auditRow(request: PeerRequest, action: string, resourceId: string, status: number, startedAt: number) {
  const userAgent = request.headers['user-agent'];
  return {
    userId: request.user?.userId ?? null,
    sessionId: request.user?.sessionId ?? null,
    action,
    resourceType: 'agent',
    resourceId,
    method: request.method,
    path: request.originalUrl,
    status,
    ip: request.ip ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent : null,
    durationMs: performance.now() - startedAt,
    success: true,
  };
}

@Injectable()
class SessionLookup {
  constructor(@InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>) {}

  /** One joined query, as Sentinel's SessionService.authenticate runs it. */
  async authenticate(sessionId: string, userId: string): Promise<Principal> {
    const now = new Date();
    const session = await this.sessions
      .createQueryBuilder('session')
      .innerJoinAndSelect('session.user', 'user')
      .where('session.id = :sessionId AND session.user_id = :userId', { sessionId, userId })
      .getOne();
    const user = session?.user;
    const verdict = sessionVerdict(
      session && user
        ? {
            revokedAt: session.revokedAt,
            expiresAt: session.expiresAt,
            lastSeenAt: session.lastSeenAt,
            userIsActive: user.isActive,
          }
        : undefined,
      now,
      config.sessionIdleTimeoutMs,
    );
    if (verdict === 'refused' || !session || !user) throw new UnauthorizedException();
    if (verdict === 'idle') {
      await this.sessions.update({ id: session.id }, { revokedAt: now, revokedReason: 'idle_timeout' });
      throw new UnauthorizedException();
    }
    if (verdict === 'touch') await this.sessions.update({ id: session.id }, { lastSeenAt: now });
    return { userId: user.id, username: user.username, role: user.role, sessionId: session.id };
  }
}

@Injectable()
class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(private readonly lookup: SessionLookup) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.jwtSecret,
      algorithms: ['HS256'],
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      ignoreExpiration: false,
    });
  }

  validate(claims: Partial<AccessClaims>): Promise<Principal> {
    return this.lookup.authenticate(String(claims.jti), String(claims.sub));
  }
}

const ROLES = 'roles';
const Roles = (...roles: readonly string[]) => SetMetadata(ROLES, roles);

@Injectable()
class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<readonly string[] | undefined>(ROLES, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!roles) return true;
    const user = context.switchToHttp().getRequest<PeerRequest>().user;
    if (!user || !roles.includes(user.role)) throw new ForbiddenException();
    return true;
  }
}

/** Every request's duration, by method, route and status, taken when the response has gone out. */
@Injectable()
class MetricsMiddleware implements NestMiddleware {
  private readonly duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });

  use(request: PeerRequest, response: PeerResponse, next: () => void): void {
    const stop = this.duration.startTimer();
    response.once('finish', () => {
      stop({ method: request.method, route: request.route?.path ?? 'unmatched', status_code: response.statusCode });
    });
    next();
  }
}

@Injectable()
class AgentsService {
  constructor(
    @InjectRepository(AgentEntity) private readonly agents: Repository<AgentEntity>,
    @InjectRepository(AuditRowEntity) private readonly audit: Repository<AuditRowEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async get(request: PeerRequest, id: string, startedAt: number): Promise<AgentBody> {
    const agent = await this.agents.findOneBy({ id });
    if (!agent) throw new NotFoundException();
    // A read's audit row is written without holding up the answer, as Sentinel queues a read's row.
    this.audit.insert(auditRow(request, 'agents.get', agent.id, 200, startedAt)).catch((error: unknown) => {
      process.stderr.write(`audit insert failed: ${String(error)}\n`);
    });
    return agentBody(agent);
  }

  /** The agent and its audit row commit together, before the answer. */
  async create(request: PeerRequest, input: CreateAgentDto, startedAt: number): Promise<AgentBody> {
    try {
      const agent = await this.dataSource.transaction(async (manager) => {
        const created = await manager.save(
          manager.create(AgentEntity, {
            name: input.name,
            description: input.description ?? null,
            status: input.status ?? 'active',
            config: input.config ?? {},
          }),
        );
        await manager.insert(AuditRowEntity, auditRow(request, 'agents.create', created.id, 201, startedAt));
        return created;
      });
      return agentBody(agent);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException('agent name taken');
      throw error;
    }
  }
}

@Controller('api/v1/agents')
@UseGuards(AuthGuard('jwt'), RolesGuard)
class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Get(':id')
  @Roles(...READ_ROLES)
  get(@Param('id', new ParseUUIDPipe({ version: '4' })) id: string, @Req() request: PeerRequest) {
    return this.agents.get(request, id, performance.now());
  }

  @Post()
  @Roles(...MANAGE_ROLES)
  create(@Body() body: CreateAgentDto, @Req() request: PeerRequest) {
    return this.agents.create(request, body, performance.now());
  }
}

@Controller()
class HealthController {
  @Get('health/live')
  live() {
    return { status: 'ok' };
  }

  @Get('metrics')
  @Header('content-type', register.contentType)
  metrics() {
    return register.metrics();
  }
}

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: config.databaseUrl,
      schema: config.schema,
      poolSize: config.poolSize,
      applicationName: 'express-nest',
      entities: [UserEntity, SessionEntity, AgentEntity, AuditRowEntity],
      synchronize: false,
    }),
    TypeOrmModule.forFeature([SessionEntity, AgentEntity, AuditRowEntity]),
    PassportModule,
  ],
  controllers: [AgentsController, HealthController],
  providers: [SessionLookup, JwtStrategy, RolesGuard, AgentsService],
})
class PeerModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(MetricsMiddleware).forRoutes('*path');
  }
}

async function main(): Promise<void> {
  const seed = await prepareDatabase(config);
  const app = await NestFactory.create<NestExpressApplication>(PeerModule, { logger: ['error'] });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address() as { port: number } | string | null;
  if (!address || typeof address !== 'object') throw new Error('no listening address');
  closeOnSignals(() => app.close());
  announceReady({ port: address.port, token: seed.token, agentId: seed.agentId });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `express-nest peer failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
