import { setTimeout as delay } from 'node:timers/promises';
import { clockShiftEnv } from '../support/clock-shift';
import { Cluster } from './harness';

/** Real seconds from the instances' start to the scheduled minute: enough for three to start on a loaded machine. */
const LEAD_SECONDS = 50;
/** The last instance's clock runs this far behind the others (a skewed host): it reaches the tick late. */
const SKEW_SECONDS = 8;
const DAY_MS = 86_400_000;
/**
 * Every job whose schedule falls on 03:00:00 UTC: partition upkeep (daily 3 AM),
 * the monitor's window sweep (every 10 minutes), backup staleness, secret and JWT
 * key rotation, session, login-attempt and rate-limit cleanup (hourly or more often) and a full
 * backup scheduled at that minute. Backup retention (daily 4 AM) cannot share
 * the instant and is left to the unit of JobTicks (test/job-ticks.e2e-spec.ts).
 */
const JOBS = [
  'backup-full',
  'backup-staleness',
  'jwt-signing-key-rotation',
  'login-attempts-cleanup',
  'partition-upkeep',
  'rate-limit-cleanup',
  'secrets-rotation',
  'security-monitor-sweep',
  'session-cleanup',
];

interface JobRun {
  job: string;
  tick: Date;
  instance: string;
  outcome: string | null;
}

describe('cluster: each scheduled job runs once per tick across the instances', () => {
  let cluster: Cluster;
  let tick: Date;

  beforeAll(async () => {
    // Tomorrow's 03:00 UTC, LEAD_SECONDS from now on the instances' clocks.
    const now = Date.now();
    tick = new Date(Math.floor(now / DAY_MS) * DAY_MS + DAY_MS + 3 * 3_600_000);
    const offset = (tick.getTime() - now) / 1000 - LEAD_SECONDS;
    cluster = await Cluster.start({
      instances: 3,
      env: { BACKUP_FULL_CRON: '0 0 3 * * *' },
      instanceEnv: (index) => clockShiftEnv(index === 2 ? offset - SKEW_SECONDS : offset),
    });
  }, 180_000);
  afterAll(() => cluster.close());

  it('claims each job once for the tick, runs it on one instance, and a late instance does not run it again', async () => {
    const lastReady = Math.max(...cluster.instances.map((instance) => instance.readyAt));
    const firstSpawn = Math.min(...cluster.instances.map((instance) => instance.spawnedAt));
    // Otherwise a start slower than LEAD_SECONDS missed the tick: the test proves nothing then.
    expect((lastReady - firstSpawn) / 1000).toBeLessThan(LEAD_SECONDS - 5);

    // The late instance fires SKEW_SECONDS after the others; then the backup and its restore drill finish.
    const firesAt = firstSpawn + (LEAD_SECONDS + SKEW_SECONDS + 2) * 1000;
    await delay(Math.max(0, firesAt - Date.now()));
    const deadline = Date.now() + 60_000;
    let runs: JobRun[] = [];
    for (;;) {
      runs = await cluster.sql<JobRun>('SELECT job, tick, instance, outcome FROM job_runs ORDER BY job');
      const done = JOBS.every((job) => runs.some((run) => run.job === job && run.outcome !== null));
      if (done || Date.now() > deadline) break;
      await delay(500);
    }

    expect(runs.map((run) => [run.job, run.tick.toISOString(), run.outcome])).toEqual(
      JOBS.map((job) => [job, tick.toISOString(), 'succeeded']),
    );
    // The scheduled backup happened once (not once per instance), completed and was verified.
    const backups = await cluster.sql<{ status: string; verified: boolean }>(
      `SELECT status, verified_at IS NOT NULL AS verified FROM backups WHERE created_by = 'schedule'`,
    );
    expect(backups).toEqual([{ status: 'completed', verified: true }]);
    // At 03:00 no verified backup exists yet: the staleness check says so, once for the cluster, and nothing else fails.
    const errors = cluster.instances.flatMap((instance) =>
      instance
        .logEntries()
        .filter((entry) => ['error', 'critical'].includes(String(entry.level)))
        .map((entry) => String(entry.message)),
    );
    expect(errors).toEqual([expect.stringMatching(/^the newest verified backup is missing/)]);
  }, 180_000);
});
