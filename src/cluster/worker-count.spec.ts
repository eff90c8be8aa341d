import { MAX_WORKERS, parseWorkerCount } from './worker-count';

describe('parseWorkerCount', () => {
  it('defaults to one process', () => {
    expect(parseWorkerCount(undefined, 8)).toBe(1);
  });

  it('takes a whole number within bounds', () => {
    expect(parseWorkerCount('3', 8)).toBe(3);
    expect(parseWorkerCount(' 2 ', 8)).toBe(2);
  });

  it('reads auto as one per core, capped', () => {
    expect(parseWorkerCount('auto', 6)).toBe(6);
    expect(parseWorkerCount('AUTO', 500)).toBe(MAX_WORKERS);
  });

  it.each(['0', '-1', '1.5', 'two', '', '65'])('refuses %p with a message', (raw) => {
    expect(typeof parseWorkerCount(raw, 4)).toBe('string');
  });
});
