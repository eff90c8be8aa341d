import { JobTicks } from '../src/database/job-ticks.service';
import { createTestApp, type TestApp } from './support/test-app';
import { TestClock } from './support/test-clock';

/** Two instances on one database, their clocks 20 s apart, as a balancer's pool would have them. */
describe('scheduled jobs: exactly once per tick across the cluster', () => {
  const start = new Date('2027-03-01T03:00:00.300Z');
  const clockA = new TestClock(start);
  const clockB = new TestClock(new Date(start.getTime() - 20_000));
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    first = await createTestApp({}, { clock: clockA });
    second = await createTestApp({}, { clock: clockB, databaseUrl: first.databaseUrl });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  it('runs a tick once, whichever instance gets there first, and not again on a late one', async () => {
    const runs: string[] = [];
    const job = (instance: string) => async () => {
      runs.push(instance);
      await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const [onFirst, onSecond] = await Promise.all([
      first.app.get(JobTicks).runOncePerTick('test-tick', job('first')),
      second.app.get(JobTicks).runOncePerTick('test-tick', job('second')),
    ]);
    expect([onFirst.ran, onSecond.ran].filter(Boolean)).toHaveLength(1);
    expect(runs).toHaveLength(1);

    // The slow instance reaches the same scheduled minute after the first has finished: still skipped.
    clockB.advance(15_000);
    expect((await second.app.get(JobTicks).runOncePerTick('test-tick', job('late'))).ran).toBe(false);
    expect(runs).toHaveLength(1);

    // The next tick runs again, once.
    clockA.advance(3_600_000);
    clockB.advance(3_600_000);
    const next = await Promise.all([
      second.app.get(JobTicks).runOncePerTick('test-tick', job('second')),
      first.app.get(JobTicks).runOncePerTick('test-tick', job('first')),
    ]);
    expect(next.filter((run) => run.ran)).toHaveLength(1);
    expect(runs).toHaveLength(2);
  });

  it('records a failed run as failed, and does not run the tick again', async () => {
    const failing = () => Promise.reject(new Error('job failed'));
    await expect(first.app.get(JobTicks).runOncePerTick('test-failing', failing)).rejects.toThrow('job failed');
    expect((await second.app.get(JobTicks).runOncePerTick('test-failing', () => Promise.resolve(1))).ran).toBe(false);
  });
});
