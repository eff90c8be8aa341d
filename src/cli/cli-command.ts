import type { ParseArgsConfig } from 'node:util';
import type { INestApplicationContext, Type } from '@nestjs/common';
import type { CliOutput } from './cli-output';

export type CliOptions = NonNullable<ParseArgsConfig['options']>;
export type CliValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What a command gets: its arguments, where to write, and the application (started on first use). */
export interface CliInvocation {
  positionals: string[];
  values: CliValues;
  output: CliOutput;
  app: () => Promise<INestApplicationContext>;
}

/**
 * One command group (`sentinel backup ...`, `sentinel restore ...`): a file
 * of its own under commands/, and one line in command-registry.ts.
 */
export interface CliCommandGroup {
  name: string;
  summary: string;
  /** Usage lines, shown by `sentinel help` and after a usage error. */
  usage: string[];
  options: CliOptions;
  /** The Nest modules its commands use, started with the database when a command first asks for the app. */
  modules: Type[];
  /** Resolves with the process exit code. */
  run: (invocation: CliInvocation) => Promise<number>;
}

/** A mistake in the command line itself: reported with the group's usage, exit code 2. */
export class CliUsageError extends Error {}
