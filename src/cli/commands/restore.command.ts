import { isUUID } from 'class-validator';
import { AuditModule } from '../../audit/audit.module';
import { BackupCoreModule } from '../../backup/backup-core.module';
import { RestoreService } from '../../backup/restore.service';
import { type CliCommandGroup, type CliInvocation, CliUsageError, type CliValues } from '../cli-command';

const TABLE = /^[a-z_][a-z0-9_]{0,62}$/;

function pointInTime(value: CliValues[string]): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new CliUsageError(`--point-in-time ${value} is not a date (ISO 8601)`);
  return at;
}

function tables(value: CliValues[string]): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  const names = value.split(',').map((name) => name.trim());
  const bad = names.filter((name) => !TABLE.test(name));
  if (bad.length > 0) throw new CliUsageError(`--tables: not a table name: ${bad.join(', ')}`);
  return names;
}

/**
 * A restore that replaces the users or sessions holds them until it ends, so
 * the API cannot authenticate a cancel meanwhile; this one goes to the
 * database, where the instance running the restore looks for it.
 */
async function cancel({ positionals, output, app }: CliInvocation): Promise<number> {
  const restoreId = positionals[1];
  if (!restoreId || positionals.length > 2 || !isUUID(restoreId)) {
    throw new CliUsageError('restore cancel needs exactly one restore id');
  }
  const record = await (await app()).get(RestoreService).cancel(restoreId, { kind: 'cli' });
  output.line(`restore ${record.id}: cancel requested; it rolls back and leaves every table as it was`);
  return 0;
}

async function restore(invocation: CliInvocation): Promise<number> {
  const { positionals, values, output, app } = invocation;
  if (positionals[0] === 'cancel') return cancel(invocation);
  const backupId = positionals[0];
  if (!backupId || positionals.length > 1) throw new CliUsageError('restore needs exactly one backup id');
  const request = {
    backupId,
    dryRun: values['dry-run'] === true,
    tables: tables(values.tables),
    pointInTime: pointInTime(values['point-in-time']),
    replaceAuditTrail: values['replace-audit-trail'] === true,
  };
  const record = await (await app()).get(RestoreService).run({
    ...request,
    initiator: { kind: 'cli' },
    onProgress: (progress) => {
      output.progress(
        progress.rowsDone,
        progress.rowsTotal,
        `${progress.table ?? ''} ${progress.rowsDone}/${progress.rowsTotal} rows`,
      );
    },
  });
  for (const table of record.report ?? []) {
    output.line(`${table.table.padEnd(28)} ${table.mode.padEnd(8)} ${table.rowsBefore} -> ${table.rowsAfter} rows`);
  }
  const outcome =
    record.status === 'completed' ? (record.dryRun ? 'dry run completed, rolled back' : 'completed') : record.status;
  output.line(`restore ${record.id} of backup ${record.backupId}: ${outcome}`);
  if (record.error) output.problem(record.error);
  return record.status === 'completed' ? 0 : 1;
}

export const restoreCommand: CliCommandGroup = {
  name: 'restore',
  summary: 'restore a backup (and its chain) in one transaction',
  usage: [
    '  restore <id> [--dry-run] [--tables a,b] [--point-in-time T] [--replace-audit-trail]',
    '                                                       restore in one transaction; --dry-run rolls back',
    '  restore cancel <restore-id>                          stop a running restore (it rolls back)',
  ],
  options: {
    'dry-run': { type: 'boolean' },
    tables: { type: 'string' },
    'point-in-time': { type: 'string' },
    'replace-audit-trail': { type: 'boolean' },
  },
  modules: [BackupCoreModule, AuditModule],
  run: restore,
};
