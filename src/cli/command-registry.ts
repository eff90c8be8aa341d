import type { CliCommandGroup } from './cli-command';
import { backupCommands } from './commands/backup.command';
import { restoreCommand } from './commands/restore.command';
import { secretsCommands } from './commands/secrets.command';
import { usersCommands } from './commands/users.command';

/** Every command group of `npm run sentinel`: a new group is its own file under commands/ and one line here. */
export const COMMAND_GROUPS: readonly CliCommandGroup[] = [
  backupCommands,
  restoreCommand,
  secretsCommands,
  usersCommands,
];
