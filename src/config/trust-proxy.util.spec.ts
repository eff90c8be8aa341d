import { parseTrustProxy } from './trust-proxy.util';

describe('parseTrustProxy', () => {
  it.each<[string, ReturnType<typeof parseTrustProxy>]>([
    ['false', false],
    ['0', false],
    ['off', false],
    // `true` is one hop (the proxy in front of the app), never every hop.
    ['true', 1],
    ['yes', 1],
    ['1', 1],
    ['3', 3],
    ['10.0.0.1', ['10.0.0.1']],
    ['10.0.0.0/8, 192.168.1.7 ,::1', ['10.0.0.0/8', '192.168.1.7', '::1']],
    ['loopback,fd00::/8', ['loopback', 'fd00::/8']],
  ])('reads %j', (raw, expected) => {
    expect(parseTrustProxy(raw)).toEqual(expected);
  });

  it.each(['maybe', '-1', '1.5', '33', '10.0.0.0/33', '::/129', '10.0.0.1/8/2', 'example.com', ',', '10.0.0.1,nope'])(
    'refuses %j',
    (raw) => {
      expect(parseTrustProxy(raw)).toBeUndefined();
    },
  );
});
