import { existsSync } from 'node:fs';
import type { BackupDto } from '../../src/backup/dto/backup.dto';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, request } from '../support/http';
import { createTestApp } from '../support/test-app';
import { createUser, tokenFor } from '../support/users';
import { adminContext, API, type BackupContext, call, restore, takeBackup } from './backup-support';

const ZERO = '00000000-0000-4000-8000-000000000000';
// Three columns each, undefined for no body: jest takes a handler parameter beyond the columns for `done`.
const ROUTES: [string, string, unknown][] = [
  ['POST', '/backups', { type: 'full' }],
  ['GET', '/backups', undefined],
  ['GET', `/backups/${ZERO}`, undefined],
  ['POST', `/backups/${ZERO}/verify`, {}],
  ['POST', '/backups/cleanup', undefined],
  ['POST', '/restores', { backupId: ZERO, dryRun: true }],
  ['GET', '/restores', undefined],
  ['GET', `/restores/${ZERO}`, undefined],
  ['POST', `/restores/${ZERO}/cancel`, undefined],
];

describe('backup API: access, validation, retention', () => {
  let context: BackupContext;

  beforeAll(async () => {
    context = await adminContext(await createTestApp({ LOG_STORE_ENABLED: 'false', BACKUP_RETENTION_COUNT: '2' }));
  });
  afterAll(() => context.testApp.close());

  it.each(ROUTES)('%s %s: 401 without credentials', async (method, path, json) => {
    expectErrorBody(await request(context.testApp.baseUrl, `${API}${path}`, { method, json }), 401);
  });

  it('answers 403 to every route for a caller without backups:manage, and to an ADMIN’s API key', async () => {
    const auditor = await createUser(context.testApp.app, { role: Role.Auditor });
    const auditorToken = await tokenFor(context.testApp.baseUrl, auditor);
    const issued = await call<{ key: string }>(context, 'POST', '/api-keys', { name: 'backup-attempt' });
    expect(issued.status).toBe(201);
    for (const [method, path, json] of ROUTES) {
      expectErrorBody(
        await request(context.testApp.baseUrl, `${API}${path}`, { method, json, token: auditorToken }),
        403,
      );
      expectErrorBody(
        await request(context.testApp.baseUrl, `${API}${path}`, {
          method,
          json,
          headers: { 'x-api-key': issued.body.key },
        }),
        403,
      );
    }
  });

  it.each<[string, string, unknown]>([
    ['POST', '/backups', { type: 'weekly' }],
    ['POST', '/backups', { type: null }],
    ['POST', '/backups', { description: 42 }],
    ['POST', '/backups', { description: null }],
    ['POST', '/backups', { extra: true }],
    ['POST', `/backups/${ZERO}/verify`, { restoreTest: 'yes' }],
    ['POST', '/restores', { backupId: null, dryRun: true }],
    ['POST', '/restores', { backupId: 'nope', dryRun: true }],
    ['POST', '/restores', { backupId: ZERO }],
    ['POST', '/restores', { backupId: ZERO, dryRun: 'true' }],
    ['POST', '/restores', { backupId: ZERO, dryRun: true, tables: [] }],
    ['POST', '/restores', { backupId: ZERO, dryRun: true, tables: ['users; drop table users'] }],
    ['POST', '/restores', { backupId: ZERO, dryRun: true, tables: [7] }],
    ['POST', '/restores', { backupId: ZERO, dryRun: true, pointInTime: 'yesterday' }],
    ['POST', '/restores', { backupId: ZERO, dryRun: true, pointInTime: null }],
    ['GET', '/backups?limit=0', undefined],
    ['GET', '/backups?status=lost', undefined],
    ['GET', '/backups/not-a-uuid', undefined],
    ['GET', '/restores/not-a-uuid', undefined],
  ])('%s %s %j: 400 with the uniform body', async (method, path, json) => {
    expectErrorBody(await call(context, method, path, json), 400);
  });

  it('answers 404 for unknown backups and restores, and 400 for an unknown table', async () => {
    expectErrorBody(await call(context, 'GET', `/backups/${ZERO}`), 404);
    expectErrorBody(await call(context, 'POST', `/backups/${ZERO}/verify`, {}), 404);
    expectErrorBody(await call(context, 'GET', `/restores/${ZERO}`), 404);
    expectErrorBody(await call(context, 'POST', '/restores', { backupId: ZERO, dryRun: true }), 404);
    const backup = await takeBackup(context);
    expectErrorBody(
      await call(context, 'POST', '/restores', { backupId: backup.id, dryRun: true, tables: ['nope'] }),
      400,
    );
  });

  it('never shows the key: responses carry its id only', async () => {
    const backup = await takeBackup(context);
    const listed = await call<{ items: BackupDto[] }>(context, 'GET', '/backups');
    const text = JSON.stringify(listed.body);
    expect(text).toContain(backup.keyId);
    expect(text).not.toContain(Buffer.alloc(32, 7).toString('base64'));
  });

  it('keeps chains whole: expires old chains but never a parent a kept incremental needs', async () => {
    const oldFull = await takeBackup(context);
    const oldIncremental = await takeBackup(context, 'incremental');
    const verified = await call<BackupDto>(context, 'POST', `/backups/${oldFull.id}/verify`, {});
    expect(verified.body.verification?.ok).toBe(true);
    const full = await takeBackup(context);
    const first = await takeBackup(context, 'incremental');
    const second = await takeBackup(context, 'incremental');
    expect(second.parentId).toBe(first.id);

    const cleanup = await call<{ expired: string[] }>(context, 'POST', '/backups/cleanup');
    expect(cleanup.status).toBe(200);
    // Count 2 keeps the two newest incrementals, so their parent full too; the verified full stays.
    expect(cleanup.body.expired).toContain(oldIncremental.id);
    for (const kept of [full, first, second, oldFull]) {
      expect(cleanup.body.expired).not.toContain(kept.id);
      expect(existsSync(kept.location)).toBe(true);
    }
    expect(existsSync(oldIncremental.location)).toBe(false);
    const expired = await call<BackupDto>(context, 'GET', `/backups/${oldIncremental.id}`);
    expect(expired.body.status).toBe('expired');
    expect((await restore(context, { backupId: second.id, dryRun: true })).status).toBe('completed');
  });
});
