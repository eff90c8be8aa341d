import { efficiencyScore, speedScore } from './efficiency-score';

describe('speedScore', () => {
  it('is 1 for runs that take no time and 0 from the budget on', () => {
    expect(speedScore(0, 60_000)).toBe(1);
    expect(speedScore(60_000, 60_000)).toBe(0);
    expect(speedScore(600_000, 60_000)).toBe(0);
  });

  it('falls linearly with the median duration', () => {
    expect(speedScore(15_000, 60_000)).toBeCloseTo(0.75, 10);
    expect(speedScore(30_000, 60_000)).toBeCloseTo(0.5, 10);
  });
});

describe('efficiencyScore', () => {
  it('weighs success 70% and speed 30%', () => {
    expect(efficiencyScore(1, 1)).toBeCloseTo(1, 10);
    expect(efficiencyScore(0, 0)).toBe(0);
    expect(efficiencyScore(1, 0)).toBeCloseTo(0.7, 10);
    expect(efficiencyScore(0, 1)).toBeCloseTo(0.3, 10);
    // 3 of 4 runs succeed, median run a quarter of the budget: 0.7 x 0.75 + 0.3 x 0.75.
    expect(efficiencyScore(0.75, speedScore(15_000, 60_000))).toBeCloseTo(0.75, 10);
    expect(efficiencyScore(0.5, speedScore(45_000, 60_000))).toBeCloseTo(0.425, 10);
  });
});
