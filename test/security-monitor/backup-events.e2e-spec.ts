import { readFile, rm, writeFile } from 'node:fs/promises';
import type { BackupDto } from '../../src/backup/dto/backup.dto';
import { BackupScheduler } from '../../src/backup/backup-scheduler.service';
import type { AlertDto } from '../../src/security-monitor/dto/alert.dto';
import type { SecurityEventDto } from '../../src/security-monitor/dto/security-event.dto';
import { createTestApp } from '../support/test-app';
import { adminContext, type BackupContext, call, restore, takeBackup } from '../backup/backup-support';
import { eventually, settle, startWebhookReceiver, WEBHOOK_SECRET, type WebhookReceiver } from './monitor-support';

describe('security monitor: backup and restore events', () => {
  let webhook: WebhookReceiver;
  let context: BackupContext;

  beforeAll(async () => {
    webhook = await startWebhookReceiver();
    context = await adminContext(
      await createTestApp({
        LOG_STORE_ENABLED: 'false',
        SECURITY_ALERT_CHANNELS: 'webhook',
        SECURITY_ALERT_WEBHOOK_URL: webhook.url,
        SECURITY_ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      }),
    );
  });
  afterAll(async () => {
    await context.testApp.close();
    await webhook.close();
  });

  const eventsOf = async (type: string): Promise<SecurityEventDto[]> => {
    await settle(context.testApp.app);
    const listed = await call<{ items: SecurityEventDto[] }>(context, 'GET', `/security/events?type=${type}`);
    expect(listed.status).toBe(200);
    return listed.body.items;
  };
  const alertTitled = async (title: string): Promise<AlertDto | undefined> =>
    (await call<{ items: AlertDto[] }>(context, 'GET', '/security/alerts')).body.items.find((a) => a.title === title);

  it('records every restore, a dry run at severity info and a real one at medium', async () => {
    const backup = await takeBackup(context);
    const dry = await restore(context, { backupId: backup.id, dryRun: true, tables: ['api_toggles'] });
    const real = await restore(context, { backupId: backup.id, dryRun: false, tables: ['api_toggles'] });
    expect([dry.status, real.status]).toEqual(['completed', 'completed']);
    const events = await eventually(async () => {
      const found = await eventsOf('restore.completed');
      expect(found).toHaveLength(2);
      return found;
    });
    const byRestore = new Map(events.map((event) => [(event.details as { restoreId?: string }).restoreId, event]));
    expect(byRestore.get(dry.id)).toEqual(expect.objectContaining({ severity: 'info', source: 'backup' }));
    expect(byRestore.get(real.id)).toEqual(
      expect.objectContaining({ severity: 'medium', details: expect.objectContaining({ tables: ['api_toggles'] }) }),
    );
  });

  it('turns a backup that fails verification into a high event and an alert the receiver gets', async () => {
    const backup = await takeBackup(context);
    const file = await readFile(backup.location);
    file[Math.floor(file.length / 2)] ^= 0x01;
    await writeFile(backup.location, file);
    const verified = await call<BackupDto>(context, 'POST', `/backups/${backup.id}/verify`, {});
    expect(verified.body.verification?.ok).toBe(false);
    await eventually(async () => {
      const [event] = await eventsOf('backup.verification-failed');
      expect(event).toEqual(
        expect.objectContaining({ severity: 'high', details: expect.objectContaining({ backupId: backup.id }) }),
      );
    });
    await eventually(() => {
      expect(webhook.received.map((hook) => JSON.parse(hook.body) as { data?: { title?: string } })).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ data: expect.objectContaining({ title: 'A backup failed verification' }) }),
        ]),
      );
    });
  });

  it('records a failed backup and a stale one, each with an alert', async () => {
    // The backup directory turned into a file: the next backup cannot be written.
    await rm(context.testApp.backupDir, { recursive: true, force: true });
    await writeFile(context.testApp.backupDir, 'not a directory');
    const started = await call<BackupDto>(context, 'POST', '/backups', { type: 'full' });
    expect(started.status).toBe(202);
    await eventually(async () => {
      const [event] = await eventsOf('backup.failed');
      expect(event).toEqual(
        expect.objectContaining({ severity: 'high', details: expect.objectContaining({ backupId: started.body.id }) }),
      );
    }, 30_000);
    expect(await alertTitled('A backup failed')).toBeDefined();

    // No backup has passed verification: the hourly check finds the newest verified one missing.
    expect(await context.testApp.app.get(BackupScheduler).checkStaleness()).toBe(true);
    await eventually(async () => {
      const [event] = await eventsOf('backup.stale');
      expect(event).toEqual(
        expect.objectContaining({ severity: 'high', details: expect.objectContaining({ newestVerifiedAt: null }) }),
      );
    });
    expect(await alertTitled('No recent verified backup')).toBeDefined();
  });
});
