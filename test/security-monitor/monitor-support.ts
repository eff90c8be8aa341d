import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { DataSource } from 'typeorm';
import { AlertDelivery } from '../../src/security-monitor/alerts/alert-delivery';
import { Detector } from '../../src/security-monitor/detection/detector.service';
import { SecurityEventStore } from '../../src/security-monitor/events/security-event-store';
import type { HttpResult } from '../support/http';

export const SECURITY = '/api/v1/security';

/** A Standard Webhooks secret for tests (whsec_ and base64 of 32 bytes). */
export const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Waits until every signal, event and alert delivery the app holds has been
 * dealt with. Domain events reach their listeners a few event-loop turns
 * after the response (after commit, off the request path); what the
 * detector does publishes more, hence two rounds.
 */
export async function settle(app: NestFastifyApplication): Promise<void> {
  for (let round = 0; round < 2; round++) {
    for (let turn = 0; turn < 5; turn++) await nextTurn();
    await app.get(Detector).settled();
    await app.get(AlertDelivery).settled();
    await app.get(SecurityEventStore).flush();
  }
}

/**
 * Polls `check` until it stops throwing: for what another instance or an
 * after-commit listener does on its own schedule. Bounded; the last failure is rethrown.
 */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Answers the next `count` requests with this status instead of 204. */
  failNext: (count: number, status?: number) => void;
  close: () => Promise<void>;
}

/** An HTTP receiver on loopback that keeps every request it gets. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let failures = 0;
  let failStatus = 500;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (failures > 0) {
        failures--;
        response.writeHead(failStatus).end('no');
        return;
      }
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    failNext: (count, status = 500) => {
      failures = count;
      failStatus = status;
    },
    close: () =>
      new Promise((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}

export interface SmtpReceiver {
  url: string;
  mails: ParsedMail[];
  close: () => Promise<void>;
}

/** An SMTP server on loopback (the smtp-server package) that parses every mail it accepts. */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const mails: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          mails.push(mail);
          callback();
        })
        .catch((error: unknown) => {
          callback(error instanceof Error ? error : new Error(String(error)));
        });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * One HTTP request sent from a given loopback address (127.0.0.2, ...), so
 * the server sees a different client ip without trusting any header.
 */
export function requestFrom(
  localAddress: string,
  baseUrl: string,
  path: string,
  options: { method?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpResult<Record<string, unknown>>> {
  const url = new URL(path, baseUrl);
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: options.method ?? 'GET',
        localAddress,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...options.headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (typeof value === 'string') headers.set(name, value);
          }
          resolve({
            status: response.statusCode ?? 0,
            headers,
            body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {},
          });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Sets a built-in policy's config (and flags) straight in the table, as an operator's PATCH would. */
export async function setPolicy(
  app: NestFastifyApplication,
  name: string,
  changes: { config?: Record<string, unknown>; active?: boolean; simulation?: boolean },
): Promise<void> {
  const dataSource = app.get(DataSource);
  if (changes.config) {
    await dataSource.query('UPDATE security_policies SET policy_config = policy_config || $2 WHERE policy_name = $1', [
      name,
      JSON.stringify(changes.config),
    ]);
  }
  if (changes.active !== undefined) {
    await dataSource.query('UPDATE security_policies SET is_active = $2 WHERE policy_name = $1', [
      name,
      changes.active,
    ]);
  }
  if (changes.simulation !== undefined) {
    await dataSource.query('UPDATE security_policies SET simulation = $2 WHERE policy_name = $1', [
      name,
      changes.simulation,
    ]);
  }
}

/** Turns every built-in policy off except those named, so a test sees only the rule it drives. */
export async function onlyPolicies(app: NestFastifyApplication, ...names: string[]): Promise<void> {
  await app.get(DataSource).query('UPDATE security_policies SET is_active = (policy_name = ANY($1))', [names]);
}
