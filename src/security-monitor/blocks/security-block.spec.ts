import { escalatedDurationSeconds } from './security-block';

describe('escalatedDurationSeconds', () => {
  const settings = { durationSeconds: 600, escalationFactor: 2, maxDurationSeconds: 3000 };

  it('lasts the base duration for a first offence and doubles for each repeat, up to the maximum', () => {
    expect([1, 2, 3, 4, 5].map((offence) => escalatedDurationSeconds(offence, settings))).toEqual([
      600, 1200, 2400, 3000, 3000,
    ]);
  });

  it('stays at the base with a factor of 1', () => {
    expect(escalatedDurationSeconds(9, { ...settings, escalationFactor: 1 })).toBe(600);
  });

  it('never overflows into Infinity for a long history', () => {
    expect(escalatedDurationSeconds(10_000, settings)).toBe(3000);
  });
});
