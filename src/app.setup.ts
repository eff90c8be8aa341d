import type { ConfigType } from '@nestjs/config';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { registerNoStoreHook } from './access/no-store.hook';
import { appConfig } from './config';
import { fastifyTrustProxy } from './config/trust-proxy.util';
import { errorBody } from './common/errors/all-exceptions.filter';
import { answerClientError, answerFrameworkError } from './common/errors/fastify-error-handlers';
import { acceptOnlyStorableJson } from './common/request-context/json-body.parser';
import { REQUEST_ID_HEADER, registerRequestContextHooks } from './common/request-context/request-context.hooks';
import { registerSecurityHeaders } from './common/security-headers/security-headers.hook';
import { API_PREFIX } from './common/routing/api-prefix';

export { API_PREFIX };

/** Operational routes that live outside the versioned API. */
const UNPREFIXED_ROUTES = [
  'health/live',
  'health/ready',
  'metrics',
  'dashboard',
  'dashboard/:asset',
  '.well-known/jwks.json',
];

export const BEARER_AUTH = 'bearer';
export const API_KEY_AUTH = 'api-key';

/**
 * Knows from the very start of app.close() that shutdown has begun: Nest calls
 * beforeClose() before the modules' shutdown hooks run, and Fastify's own
 * preClose only after them, so a request arriving meanwhile would be served by
 * an app whose providers (the password-strength worker, running backups) are
 * being torn down.
 */
export class SentinelFastifyAdapter extends FastifyAdapter {
  private closing = false;

  get shuttingDown(): boolean {
    return this.closing;
  }

  override beforeClose(): void {
    this.closing = true;
    super.beforeClose();
  }
}

export function createFastifyAdapter(config: ConfigType<typeof appConfig>): SentinelFastifyAdapter {
  return new SentinelFastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    trustProxy: fastifyTrustProxy(config.trustProxy),
    // Errors raised before the app sees a request still get the uniform body (see refuseWhileClosing too).
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    return503OnClosing: false,
    // Node answers a Host-less HTTP/1.1 request with a bare 400 no hook sees; refuseWithoutHost sends the uniform one.
    http: { requireHostHeader: false },
  });
}

/** Everything about the HTTP surface that is not a Nest provider; shared by main.ts and the tests. */
export function configureApp(app: NestFastifyApplication, config: ConfigType<typeof appConfig>): void {
  const adapter = app.getHttpAdapter();
  const fastify = adapter.getInstance();
  registerRequestContextHooks(fastify);
  registerNoStoreHook(fastify);
  refuseWhileClosing(fastify, () => adapter instanceof SentinelFastifyAdapter && adapter.shuttingDown);
  refuseWithoutHost(fastify);
  acceptOnlyStorableJson(fastify);
  registerSecurityHeaders(fastify, {
    // Swagger UI and the dashboard load their own scripts and styles from this origin.
    contentSecurityPolicy: {
      directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"] },
    },
  });
  if (config.corsOrigins.length > 0) {
    app.enableCors({ origin: config.corsOrigins, credentials: true, exposedHeaders: ['x-request-id'] });
  }
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED_ROUTES });
  setUpSwagger(app);
}

/**
 * Once shutdown begins, in-flight requests finish but new ones get a 503 with
 * the uniform body and `Connection: close`, so a client retries elsewhere.
 */
function refuseWhileClosing(fastify: FastifyInstance, closing: () => boolean): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!closing()) {
      done();
      return;
    }
    const traceId = request.requestContext?.traceId ?? '';
    void reply
      .code(503)
      .header('connection', 'close')
      .header(REQUEST_ID_HEADER, traceId)
      .send(errorBody(503, 'SHUTTING_DOWN', 'The server is shutting down; retry on another instance', traceId));
  });
}

/** HTTP/1.1 requires a Host header (RFC 9112, 3.2): a request without one gets a 400, with the uniform body. */
function refuseWithoutHost(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.raw.httpVersion !== '1.1' || request.headers.host !== undefined) {
      done();
      return;
    }
    const traceId = request.requestContext?.traceId ?? '';
    void reply
      .code(400)
      .header(REQUEST_ID_HEADER, traceId)
      .send(errorBody(400, 'MISSING_HOST', 'An HTTP/1.1 request must name its Host', traceId));
  });
}

function setUpSwagger(app: NestFastifyApplication): void {
  const document = new DocumentBuilder()
    .setTitle('Sentinel')
    .setDescription(
      'Security and operations core: authentication, permissions, API keys, audit, observability, ' +
        'backups, secrets and security monitoring. Every error has the body ErrorResponseDto.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER_AUTH)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, API_KEY_AUTH)
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, document), {
    jsonDocumentUrl: 'docs-json',
  });
}
