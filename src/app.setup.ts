import helmet from '@fastify/helmet';
import type { ConfigType } from '@nestjs/config';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { appConfig } from './config';
import { registerRequestContextHooks } from './common/request-context/request-context.hooks';
import { API_PREFIX } from './common/routing/api-prefix';

export { API_PREFIX };

/** Operational routes that live outside the versioned API. */
const UNPREFIXED_ROUTES = ['health/live', 'health/ready', 'metrics', 'dashboard', 'dashboard/:asset'];

export const BEARER_AUTH = 'bearer';
export const API_KEY_AUTH = 'api-key';

export function createFastifyAdapter(config: ConfigType<typeof appConfig>): FastifyAdapter {
  return new FastifyAdapter({ bodyLimit: config.bodyLimitBytes, trustProxy: config.trustProxy });
}

/** Everything about the HTTP surface that is not a Nest provider; shared by main.ts and the tests. */
export async function configureApp(app: NestFastifyApplication, config: ConfigType<typeof appConfig>): Promise<void> {
  registerRequestContextHooks(app.getHttpAdapter().getInstance());
  await app.register(helmet, {
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
