import { SchedulerRegistry } from '@nestjs/schedule';
import { Role } from '../../src/rbac/role';
import { SecretsRotationJob } from '../../src/secrets/secrets-rotation.job';
import { recordEvents, type EventRecorder } from '../support/events';
import { request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, tokenFor, type TestUser } from '../support/users';
import { waitUntil } from '../support/wait';
import { type SecretDetail, secretPath, type SecretValue } from './secrets-support';

const DAY_MS = 86_400_000;

describe('secret rotation on schedule', () => {
  const clock = new TestClock(new Date('2026-03-01T10:00:00Z'));
  let testApp: TestApp;
  let admin: TestUser;
  let events: EventRecorder;
  let job: SecretsRotationJob;

  beforeAll(async () => {
    testApp = await createTestApp({ SECRETS_EXPIRY_WARNING_DAYS: '7' }, { clock });
    admin = await createUser(testApp.app, { role: Role.Admin });
    events = recordEvents(testApp.app, 'secret');
    job = testApp.app.get(SecretsRotationJob);
    // The test drives the sweeps itself on its own clock: the real every-minute schedule firing in
    // between would claim the test clock's tick first (and its sweep would answer in place of the test's).
    await testApp.app.get(SchedulerRegistry).getCronJob('secrets-rotation').stop();
    // It may have fired once before it was stopped, on a minute boundary of the real clock, and claimed the test
    // clock's first tick: the test's sweeps start on the next one.
    clock.advance(60_000);
  });
  afterAll(async () => {
    events.stop();
    await testApp.close();
  });

  const token = () => tokenFor(testApp.baseUrl, admin);

  async function create(json: Record<string, unknown>): Promise<void> {
    const result = await request(testApp.baseUrl, '/api/v1/secrets', { method: 'POST', token: await token(), json });
    expect(result.status).toBe(201);
  }

  async function detail(name: string): Promise<SecretDetail> {
    return (await request<SecretDetail>(testApp.baseUrl, secretPath(name), { token: await token() })).body;
  }

  it('warns before the date, rotates a due generatable secret, and announces a due outside key as overdue', async () => {
    await create({ name: 'svc/session-token', type: 'token', rotationIntervalDays: 10 });
    await create({
      name: 'svc/provider-key',
      type: 'api_key',
      value: 'provider-issued-key-1',
      rotationIntervalDays: 10,
    });
    const before = (
      await request<SecretValue>(testApp.baseUrl, secretPath('svc/session-token', '/value'), { token: await token() })
    ).body.value;

    expect(await job.runScheduled()).toEqual({ rotated: [], overdue: [], expiring: [] });

    clock.advance(4 * DAY_MS);
    const warned = await job.runScheduled();
    expect(warned?.expiring.sort()).toEqual(['svc/provider-key', 'svc/session-token']);
    await waitUntil(() => Promise.resolve(events.payloads('secret.expiring').length === 2));
    expect(events.payloads('secret.expiring', { name: 'svc/provider-key' })).toEqual([
      expect.objectContaining({ version: 1, generatable: false, dueAt: expect.any(Date) }),
    ]);
    // Once per rotation period, not every tick.
    clock.advanceMinutes(1);
    expect((await job.runScheduled())?.expiring).toEqual([]);

    clock.advance(7 * DAY_MS);
    const swept = await job.runScheduled();
    expect(swept).toEqual({ rotated: ['svc/session-token'], overdue: ['svc/provider-key'], expiring: [] });
    await waitUntil(() => Promise.resolve(events.payloads('secret.rotated').length === 1));
    expect(events.payloads('secret.rotated', { name: 'svc/session-token' })).toEqual([
      expect.objectContaining({ version: 2, fromVersion: 1, trigger: 'schedule' }),
    ]);
    expect(events.payloads('secret.rotation-overdue', { name: 'svc/provider-key' })).toEqual([
      expect.objectContaining({ version: 1, dueAt: expect.any(Date) }),
    ]);

    const rotated = await detail('svc/session-token');
    expect(rotated.currentVersion).toBe(2);
    expect(rotated.rotations[0]).toMatchObject({ fromVersion: 1, toVersion: 2, trigger: 'schedule', rotatedBy: null });
    expect(new Date(rotated.nextRotationAt ?? 0).getTime()).toBe(clock.now().getTime() + 10 * DAY_MS);
    const after = (
      await request<SecretValue>(testApp.baseUrl, secretPath('svc/session-token', '/value'), { token: await token() })
    ).body;
    expect(after.version).toBe(2);
    expect(after.value).not.toBe(before);
    expect((await detail('svc/provider-key')).currentVersion).toBe(1);

    // The overdue notice repeats daily, not every minute, until someone writes the new value.
    clock.advanceMinutes(1);
    expect((await job.runScheduled())?.overdue).toEqual([]);
    clock.advance(DAY_MS);
    expect((await job.runScheduled())?.overdue).toEqual(['svc/provider-key']);
    const written = await request(testApp.baseUrl, secretPath('svc/provider-key'), {
      method: 'PUT',
      token: await token(),
      json: { value: 'provider-issued-key-2', cas: 1 },
    });
    expect(written.status).toBe(200);
    clock.advance(DAY_MS);
    expect(await job.runScheduled()).toEqual({ rotated: [], overdue: [], expiring: [] });
    expect((await detail('svc/provider-key')).rotations[0]).toMatchObject({ trigger: 'write', toVersion: 2 });
  });

  it('runs a tick once across instances', async () => {
    clock.advanceMinutes(5);
    const tick = await job.runScheduled();
    expect(tick).toBeDefined();
    expect(await job.runScheduled()).toBeUndefined();
  });
});
