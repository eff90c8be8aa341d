import { sampleWeight } from './request-sampling';

const policy = { sampleRate: 0.1, slowRequestMs: 1000 };
const never = (): number => 0.99;
const always = (): number => 0;

describe('sampleWeight', () => {
  it.each([400, 404, 429, 500, 503])('always keeps a response with status %i, at weight 1', (status) => {
    expect(sampleWeight(status, 5, policy, never)).toBe(1);
  });

  it('always keeps a slow request, from the threshold on', () => {
    expect(sampleWeight(200, 1000, policy, never)).toBe(1);
    expect(sampleWeight(200, 999.9, policy, never)).toBe(0);
  });

  it('keeps an ordinary request when the draw falls under the rate, standing for 1 / rate requests', () => {
    expect(sampleWeight(200, 5, policy, () => 0.05)).toBe(10);
    expect(sampleWeight(200, 5, policy, () => 0.1)).toBe(0);
  });

  it('keeps no ordinary request at rate 0, and every one at rate 1 with weight 1', () => {
    expect(sampleWeight(200, 5, { ...policy, sampleRate: 0 }, always)).toBe(0);
    expect(sampleWeight(204, 5, { ...policy, sampleRate: 1 }, () => 0.999999)).toBe(1);
  });

  it('keeps about the rate of ordinary requests', () => {
    let state = 42;
    // A fixed linear congruential sequence: the same draws every run.
    const seeded = (): number => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const kept = Array.from({ length: 10_000 }, () => sampleWeight(200, 5, policy, seeded)).filter((w) => w > 0);
    expect(kept.length).toBeGreaterThan(900);
    expect(kept.length).toBeLessThan(1100);
  });
});
