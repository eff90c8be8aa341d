import { AuditModule } from '../../audit/audit.module';
import { BreakGlassModule } from '../../auth/break-glass.module';
import { BreakGlassService } from '../../auth/users/break-glass.service';
import { type CliCommandGroup, type CliInvocation, CliUsageError } from '../cli-command';

async function users({ positionals, output, app }: CliInvocation): Promise<number> {
  const [action, username, ...extra] = positionals;
  if (!username || extra.length > 0) throw new CliUsageError('users needs an action and exactly one username');
  const breakGlass = (await app()).get(BreakGlassService);
  if (action === 'unlock') {
    if (!(await breakGlass.unlock(username))) return noSuchUser(output, username);
    output.line(`${username}: unlocked (every lock lifted, failed attempts forgotten)`);
    return 0;
  }
  if (action === 'reset-password') {
    const password = await breakGlass.resetPassword(username);
    if (password === undefined) return noSuchUser(output, username);
    // On the terminal only: never logged, never stored; it must be changed at the next login.
    output.line(`${username}: one-time password (change it at the next login): ${password}`);
    output.line('its sessions were ended and its API keys revoked');
    return 0;
  }
  throw new CliUsageError(`unknown users action ${action}`);
}

function noSuchUser(output: CliInvocation['output'], username: string): number {
  output.problem(`no user named ${username}`);
  return 1;
}

export const usersCommands: CliCommandGroup = {
  name: 'users',
  summary: 'break-glass account recovery, with the server stopped',
  usage: [
    '  users unlock <username>                              lift every lockout of the account',
    '  users reset-password <username>                      print a one-time password; ends sessions, revokes keys',
  ],
  options: {},
  modules: [BreakGlassModule, AuditModule],
  run: users,
};
