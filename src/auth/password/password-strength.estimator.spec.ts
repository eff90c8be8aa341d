import { Worker } from 'node:worker_threads';
import { IDLE_STOP_MS, PasswordStrengthEstimator } from './password-strength.estimator';

describe('PasswordStrengthEstimator', () => {
  let estimator: PasswordStrengthEstimator;
  let terminate: jest.SpyInstance;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    terminate = jest.spyOn(Worker.prototype, 'terminate');
    estimator = new PasswordStrengthEstimator();
  });
  afterEach(async () => {
    await estimator.onModuleDestroy();
    terminate.mockRestore();
    jest.useRealTimers();
  });

  it('scores in its worker, and stops the worker once idle for IDLE_STOP_MS, starting a new one when asked again', async () => {
    expect((await estimator.estimate('password', [])).score).toBe(0);
    expect((await estimator.estimate('Quartz-lantern-harbour-4417-vivid', [])).score).toBe(4);
    jest.advanceTimersByTime(IDLE_STOP_MS - 1);
    expect(terminate).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(terminate).toHaveBeenCalledTimes(1);

    const again = await estimator.estimate('alice1990', ['alice']);
    expect(again.score).toBeLessThan(2);
    expect(again.warning).toEqual(expect.any(String));
  }, 20_000);

  it('does not stop a worker that is asked again before it is idle long enough', async () => {
    await estimator.estimate('first-Password-4417', []);
    jest.advanceTimersByTime(IDLE_STOP_MS - 1_000);
    await estimator.estimate('second-Password-4417', []);
    jest.advanceTimersByTime(IDLE_STOP_MS - 1_000);
    expect(terminate).not.toHaveBeenCalled();
  }, 20_000);
});
