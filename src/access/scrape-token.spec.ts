import { isScrapeToken } from './scrape-token';

const TOKEN = 'scrape-token-0123456789abcdef0123456789';

describe('isScrapeToken', () => {
  it('accepts the token itself', () => {
    expect(isScrapeToken(TOKEN, TOKEN)).toBe(true);
  });

  it.each([
    ['a different token', `${TOKEN}x`],
    ['a prefix of it', TOKEN.slice(0, 10)],
    ['nothing', ''],
  ])('refuses %s', (_label, presented) => {
    expect(isScrapeToken(presented, TOKEN)).toBe(false);
  });

  it('accepts nothing when no token is configured', () => {
    expect(isScrapeToken('anything', undefined)).toBe(false);
  });
});
