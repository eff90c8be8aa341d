import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet, { type HelmetOptions } from 'helmet';
import { helmetHeaders } from './security-headers.hook';

/** What helmet's own middleware leaves on a real response. */
function setByHelmet(options: HelmetOptions): Record<string, string> {
  const request = new IncomingMessage(new Socket());
  const response = new ServerResponse(request);
  response.setHeader('x-powered-by', 'something');
  helmet(options)(request, response, () => undefined);
  return Object.fromEntries(Object.entries(response.getHeaders()).map(([name, value]) => [name, String(value)]));
}

describe('helmetHeaders', () => {
  const options: HelmetOptions[] = [
    {},
    { contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'] } } },
    { hsts: { maxAge: 60, preload: true }, frameguard: { action: 'deny' }, crossOriginEmbedderPolicy: true },
    { contentSecurityPolicy: false, xFrameOptions: false, referrerPolicy: { policy: ['origin', 'no-referrer'] } },
  ];

  it.each(options)('precomputes exactly the headers helmet sets (%j)', (option) => {
    expect(helmetHeaders(option)).toEqual(setByHelmet(option));
  });

  it('refuses a directive computed per request, which one precomputed set cannot carry', () => {
    const nonce = () => "'nonce-abc'";
    expect(() => helmetHeaders({ contentSecurityPolicy: { directives: { scriptSrc: ["'self'", nonce] } } })).toThrow(
      /computed per request/,
    );
  });
});
