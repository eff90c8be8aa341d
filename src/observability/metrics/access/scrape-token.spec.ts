import { presentsScrapeToken } from './scrape-token';

const TOKEN = 'scrape-token-0123456789abcdef0123456789';

describe('presentsScrapeToken', () => {
  it('accepts the token as a bearer credential, whatever the scheme case', () => {
    expect(presentsScrapeToken(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(presentsScrapeToken(`bearer ${TOKEN}`, TOKEN)).toBe(true);
  });

  it.each([
    ['a different token', `Bearer ${TOKEN}x`],
    ['a prefix of it', `Bearer ${TOKEN.slice(0, 10)}`],
    ['another scheme', `ApiKey ${TOKEN}`],
    ['the bare token', TOKEN],
    ['nothing', undefined],
  ])('refuses %s', (_label, header) => {
    expect(presentsScrapeToken(header, TOKEN)).toBe(false);
  });

  it('accepts nothing when no token is configured', () => {
    expect(presentsScrapeToken('Bearer anything', undefined)).toBe(false);
  });
});
