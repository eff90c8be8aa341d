import { ConcurrencyLimiter, QueueFullError } from './concurrency-limiter';

/** A task the test finishes by hand, recording when it starts. */
interface ManualTask {
  started: boolean;
  finish: (value?: string) => void;
  fail: (error: Error) => void;
  run: () => Promise<string>;
}

function manualTask(label: string, log: string[] = []): ManualTask {
  let resolveTask!: (value: string) => void;
  let rejectTask!: (error: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    resolveTask = resolve;
    rejectTask = reject;
  });
  const task: ManualTask = {
    started: false,
    finish: (value = label) => {
      resolveTask(value);
    },
    fail: (error) => {
      rejectTask(error);
    },
    run: () => {
      task.started = true;
      log.push(label);
      return done;
    },
  };
  return task;
}

/** Lets every settled promise run its callbacks (no timers involved). */
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ConcurrencyLimiter', () => {
  it('runs at most `concurrency` tasks at once and starts the next as one finishes', async () => {
    const limiter = new ConcurrencyLimiter(2, 10);
    const tasks = Array.from({ length: 5 }, (_unused, index) => manualTask(`t${index}`));
    const results = tasks.map((task) => limiter.run(task.run));
    await drain();
    expect(tasks.map((task) => task.started)).toEqual([true, true, false, false, false]);

    tasks[1].finish();
    await drain();
    expect(tasks.map((task) => task.started)).toEqual([true, true, true, false, false]);

    tasks[0].finish();
    tasks[2].finish();
    await drain();
    expect(tasks.map((task) => task.started)).toEqual([true, true, true, true, true]);

    tasks[3].finish();
    tasks[4].finish();
    await expect(Promise.all(results)).resolves.toEqual(['t0', 't1', 't2', 't3', 't4']);
  });

  it('never has more than `concurrency` running, counted from inside the tasks', async () => {
    const limiter = new ConcurrencyLimiter(3, 100);
    let running = 0;
    let peak = 0;
    const tasks = Array.from({ length: 30 }, () => manualTask('t'));
    const results = tasks.map((task) =>
      limiter.run(async () => {
        running++;
        peak = Math.max(peak, running);
        try {
          return await task.run();
        } finally {
          running--;
        }
      }),
    );
    for (const task of tasks) {
      await drain();
      task.finish();
    }
    await Promise.all(results);
    expect(peak).toBe(3);
    expect(running).toBe(0);
  });

  it('starts queued tasks in the order they came (FIFO)', async () => {
    const limiter = new ConcurrencyLimiter(1, 10);
    const log: string[] = [];
    const tasks = ['a', 'b', 'c', 'd', 'e'].map((label) => manualTask(label, log));
    const results = tasks.map((task) => limiter.run(task.run));
    for (const task of tasks) {
      await drain();
      task.finish();
    }
    await Promise.all(results);
    expect(log).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('refuses at once with QueueFullError when the queue is full, and accepts again once it drains', async () => {
    const limiter = new ConcurrencyLimiter(1, 2);
    const tasks = Array.from({ length: 3 }, (_unused, index) => manualTask(`t${index}`));
    const admitted = tasks.map((task) => limiter.run(task.run));
    const refused = manualTask('refused');
    await expect(limiter.run(refused.run)).rejects.toBeInstanceOf(QueueFullError);
    expect(refused.started).toBe(false);

    tasks[0].finish();
    await drain();
    // One slot of the queue is free again.
    const late = manualTask('late');
    const lateResult = limiter.run(late.run);
    await expect(limiter.run(manualTask('refused again').run)).rejects.toBeInstanceOf(QueueFullError);

    tasks[1].finish();
    tasks[2].finish();
    late.finish();
    await expect(Promise.all([...admitted, lateResult])).resolves.toEqual(['t0', 't1', 't2', 'late']);
  });

  it('releases the slot when a task fails, and passes the error on', async () => {
    const limiter = new ConcurrencyLimiter(1, 10);
    const failing = manualTask('failing');
    const next = manualTask('next');
    const failed = limiter.run(failing.run);
    const after = limiter.run(next.run);
    await drain();
    expect(next.started).toBe(false);

    const error = new Error('hash failed');
    failing.fail(error);
    await expect(failed).rejects.toBe(error);
    await drain();
    expect(next.started).toBe(true);
    next.finish();
    await expect(after).resolves.toBe('next');
  });

  it('releases the slot when a task throws before returning a promise', async () => {
    const limiter = new ConcurrencyLimiter(1, 0);
    const error = new Error('thrown synchronously');
    await expect(
      limiter.run(() => {
        throw error;
      }),
    ).rejects.toBe(error);
    await expect(limiter.run(() => Promise.resolve('ran'))).resolves.toBe('ran');
  });

  it('keeps its bound after failures (no slot is lost or gained)', async () => {
    const limiter = new ConcurrencyLimiter(2, 10);
    const failures = [manualTask('f1'), manualTask('f2')];
    const failed = failures.map((task) => limiter.run(task.run));
    for (const task of failures) task.fail(new Error('boom'));
    await Promise.allSettled(failed);

    const tasks = Array.from({ length: 3 }, (_unused, index) => manualTask(`t${index}`));
    const results = tasks.map((task) => limiter.run(task.run));
    await drain();
    expect(tasks.map((task) => task.started)).toEqual([true, true, false]);
    for (const task of tasks) task.finish();
    await Promise.all(results);
  });
});
