import { isSensitiveField, REDACTED, redactSensitiveFields } from './redact.util';

/** An object nested `levels` deep: { child: { child: ... { leaf } } }. */
function nested(levels: number, leaf: unknown = 'bottom'): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf };
  for (let level = 0; level < levels; level++) value = { child: value };
  return value;
}

describe('redactSensitiveFields', () => {
  it.each([
    'password',
    'newPassword',
    'currentPassword',
    'accessToken',
    'refresh_token',
    'apiKey',
    'api_key',
    'x-api-key',
    'authorization',
    'Authorization',
    'cookie',
    'set-cookie',
    'totpCode',
    'recoveryCode',
    'recovery_codes',
    'secret',
    'clientSecret',
    'key',
    'code',
    'verification_code',
    'privateKey',
    'passwordHash',
    'value',
    'plaintext',
  ])('treats %s as sensitive', (name) => {
    expect(isSensitiveField(name)).toBe(true);
    expect(redactSensitiveFields({ [name]: 'value' })).toEqual({ [name]: REDACTED });
  });

  it.each(['username', 'statusCode', 'description', 'passport', 'keyboard', 'method', 'userId', 'traceId'])(
    'keeps %s',
    (name) => {
      expect(isSensitiveField(name)).toBe(false);
      expect(redactSensitiveFields({ [name]: 'value' })).toEqual({ [name]: 'value' });
    },
  );

  it('redacts at any depth, inside objects and arrays', () => {
    const input = {
      username: 'alice',
      body: { password: 'p', profile: { displayName: 'A', apiKey: 'k' } },
      headers: { authorization: 'Bearer t', 'x-api-key': 'k', accept: 'json' },
      keys: [{ name: 'ci', secret: 's' }, { name: 'ops' }],
      codes: [['a', { recoveryCode: 'r' }]],
    };
    expect(redactSensitiveFields(input)).toEqual({
      username: 'alice',
      body: { password: REDACTED, profile: { displayName: 'A', apiKey: REDACTED } },
      headers: { authorization: REDACTED, 'x-api-key': REDACTED, accept: 'json' },
      keys: [{ name: 'ci', secret: REDACTED }, { name: 'ops' }],
      codes: [['a', { recoveryCode: REDACTED }]],
    });
  });

  it('redacts a sensitive field whatever its value, objects included', () => {
    expect(redactSensitiveFields({ token: { value: 'x', expires: 1 }, secret: null })).toEqual({
      token: REDACTED,
      secret: REDACTED,
    });
  });

  it('keeps dates, primitives and null as they are', () => {
    const at = new Date('2025-01-02T03:04:05.000Z');
    const result = redactSensitiveFields({ at, count: 3, ok: true, none: null, label: 'x' }) as Record<string, unknown>;
    expect(result.at).toBeInstanceOf(Date);
    expect((result.at as Date).toISOString()).toBe('2025-01-02T03:04:05.000Z');
    expect(result).toEqual({ at, count: 3, ok: true, none: null, label: 'x' });
    expect(redactSensitiveFields('plain')).toBe('plain');
    expect(redactSensitiveFields(null)).toBeNull();
    expect(redactSensitiveFields(undefined)).toBeUndefined();
  });

  it('cuts off structures nested deeper than its limit', () => {
    // The top-level object is depth 0; a value at depth 7 or more is replaced.
    expect(redactSensitiveFields(nested(5))).toEqual(nested(5));
    expect(redactSensitiveFields(nested(6))).toEqual(nested(6, '[TRUNCATED]'));
    expect(redactSensitiveFields(nested(6, { password: 'p' }))).toEqual(nested(6, '[TRUNCATED]'));
  });

  it('does not mutate its input', () => {
    const input = { password: 'p', nested: { token: 't', list: [{ secret: 's' }] } };
    const snapshot = structuredClone(input);
    const result = redactSensitiveFields(input);
    expect(input).toEqual(snapshot);
    expect(result).not.toBe(input);
  });
});
