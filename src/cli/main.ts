import 'reflect-metadata';
import { parseArgs } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import { loadConfigurationOrExit } from '../config';
import { type CliCommandGroup, CliUsageError } from './cli-command';
import { createCliContext } from './cli-context';
import { CliOutput } from './cli-output';
import { COMMAND_GROUPS } from './command-registry';

function usage(groups: readonly CliCommandGroup[]): string {
  return ['Usage: npm run sentinel -- <command> [options]', '', ...groups.flatMap((group) => group.usage)].join('\n');
}

/** `npm run sentinel -- <group> ...`: parses the group's options, runs it, and closes the application it started. */
async function main(argv: string[], output: CliOutput): Promise<number> {
  const name = argv.at(0);
  const rest = argv.slice(1);
  const group = COMMAND_GROUPS.find((candidate) => candidate.name === name);
  if (!group) {
    if (name !== undefined && name !== 'help' && name !== '--help') output.problem(`Unknown command ${name}`);
    output.line(usage(COMMAND_GROUPS));
    return name === undefined || name === 'help' || name === '--help' ? 0 : 2;
  }
  let app: Promise<INestApplicationContext> | undefined;
  try {
    const { positionals, values } = parseArgs({
      args: rest,
      options: group.options,
      allowPositionals: true,
      strict: true,
    });
    return await group.run({ positionals, values, output, app: () => (app ??= createCliContext(group.modules)) });
  } catch (error) {
    if (error instanceof CliUsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      output.problem((error as Error).message);
      output.problem(group.usage.join('\n'));
      return 2;
    }
    output.problem(`${group.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    if (app) await (await app.catch(() => undefined))?.close();
  }
}

loadConfigurationOrExit();
void main(process.argv.slice(2), new CliOutput()).then((code) => {
  process.exitCode = code;
});
