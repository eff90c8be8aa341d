import { presentedCredential } from './credentials';

describe('presentedCredential', () => {
  it.each([
    [{ authorization: 'Bearer abc.def.ghi' }, { kind: 'bearer', token: 'abc.def.ghi' }],
    [{ authorization: 'bearer abc' }, { kind: 'bearer', token: 'abc' }],
    [{ authorization: 'ApiKey snt_x_y' }, { kind: 'api-key', key: 'snt_x_y' }],
    [{ 'x-api-key': 'snt_x_y' }, { kind: 'api-key', key: 'snt_x_y' }],
    [{}, { kind: 'none' }],
  ])('reads %j', (headers, expected) => {
    expect(presentedCredential(headers)).toEqual(expected);
  });

  it.each([
    ['a token followed by more', { authorization: 'Bearer abc extra' }],
    ['a scheme without a token', { authorization: 'Bearer' }],
    ['an unknown scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['a bare token', { authorization: 'abc' }],
    ['a bearer token and an API key', { authorization: 'Bearer abc', 'x-api-key': 'snt_x_y' }],
    ['an API key in both headers', { authorization: 'ApiKey snt_x_y', 'x-api-key': 'snt_x_y' }],
    ['an empty X-API-Key', { 'x-api-key': '' }],
    ['two X-API-Key values', { 'x-api-key': 'snt_a_b, snt_c_d' }],
    ['an over-long token', { authorization: `Bearer ${'a'.repeat(5000)}` }],
  ])('refuses %s', (_label, headers) => {
    expect(presentedCredential(headers)).toEqual({ kind: 'invalid' });
  });
});
