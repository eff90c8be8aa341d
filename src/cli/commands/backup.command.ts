import { AuditModule } from '../../audit/audit.module';
import { BackupCoreModule } from '../../backup/backup-core.module';
import { BackupService } from '../../backup/backup.service';
import { BackupVerifier } from '../../backup/backup-verifier.service';
import type { BackupRecord } from '../../backup/entities/backup-record.entity';
import { type CliCommandGroup, type CliInvocation, CliUsageError } from '../cli-command';

const USAGE = [
  '  backup create [--incremental] [--description TEXT]   take a backup (full unless --incremental)',
  '  backup list [--limit N]                              the newest backups',
  '  backup verify <id> [--restore-test]                  checksum, decrypt, row counts; --restore-test: a restore drill',
  '  backup cleanup                                       apply retention (BACKUP_RETENTION_DAYS / _COUNT)',
];

function summary(record: BackupRecord): string {
  const size = record.sizeBytes === null ? '-' : `${(record.sizeBytes / 1_048_576).toFixed(1)} MiB`;
  const verified = record.verification ? (record.verification.ok ? 'verified' : 'verification FAILED') : 'unverified';
  return [
    record.id,
    record.type.padEnd(11),
    record.status.padEnd(9),
    record.startedAt.toISOString(),
    size,
    verified,
  ].join('  ');
}

async function create({ values, output, app }: CliInvocation): Promise<number> {
  const backups = (await app()).get(BackupService);
  const record = await backups.run({
    type: values.incremental ? 'incremental' : 'full',
    description: typeof values.description === 'string' ? values.description : undefined,
    initiator: { kind: 'cli' },
    onProgress: (progress) => {
      output.progress(
        progress.tablesDone,
        progress.tablesTotal,
        `${progress.table} (${progress.bytesWritten} bytes written)`,
      );
    },
  });
  output.line(summary(record));
  if (record.status !== 'completed') output.problem(`backup failed: ${record.error ?? 'unknown error'}`);
  return record.status === 'completed' ? 0 : 1;
}

async function list({ values, output, app }: CliInvocation): Promise<number> {
  const limit = Number(values.limit ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new CliUsageError('--limit must be 1 to 100');
  const { items, total } = await (await app()).get(BackupService).list({ limit, offset: 0 });
  for (const record of items) output.line(summary(record));
  output.line(`${items.length} of ${total} backups`);
  return 0;
}

async function verify({ positionals, values, output, app }: CliInvocation): Promise<number> {
  const id = positionals[1];
  if (!id) throw new CliUsageError('backup verify needs a backup id');
  const record = await (await app()).get(BackupVerifier).verify(id, { restoreTest: values['restore-test'] === true });
  output.line(summary(record));
  if (!record.verification?.ok) output.problem(`verification failed: ${record.verification?.error ?? ''}`);
  return record.verification?.ok ? 0 : 1;
}

async function cleanup({ output, app }: CliInvocation): Promise<number> {
  const { expired } = await (await app()).get(BackupService).cleanup();
  for (const id of expired) output.line(`expired ${id}`);
  output.line(`${expired.length} backups expired`);
  return 0;
}

const COMMANDS = new Map<string, (invocation: CliInvocation) => Promise<number>>([
  ['create', create],
  ['list', list],
  ['verify', verify],
  ['cleanup', cleanup],
]);

export const backupCommands: CliCommandGroup = {
  name: 'backup',
  summary: 'take, list, verify and expire backups',
  usage: USAGE,
  options: {
    incremental: { type: 'boolean' },
    description: { type: 'string' },
    limit: { type: 'string' },
    'restore-test': { type: 'boolean' },
  },
  // The audit module records what the commands do, as the server would.
  modules: [BackupCoreModule, AuditModule],
  run: (invocation) => {
    const command = COMMANDS.get(invocation.positionals.at(0) ?? '');
    if (!command) throw new CliUsageError(`backup needs one of: ${[...COMMANDS.keys()].join(', ')}`);
    return command(invocation);
  },
};
