/**
 * How the command ends when something goes wrong: one top-level handler turns every error
 * into a message and an exit code, so no command prints a stack trace at a marketer.
 *
 *   0  done
 *   1  failure: the command ran but could not do it (a broken project, a failed model fit,
 *      missing local tables, an unexpected error)
 *   2  usage: an argument or option is wrong; nothing was done
 */
import { CommanderError } from 'commander';
import { UnknownPersonaError } from '#authoring/personas.ts';
import { InvalidInputError } from '#domain/invalid-input-error.ts';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A bad argument or option (or a combination of them). The message names it and its value. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = EXIT_USAGE;
}

/** A command that ran and could not do what was asked; the message says why. Exit code 1. */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
  readonly exitCode = EXIT_FAILURE;
}

/** A command's own error type may say which it is (`exitCode` 1 or 2) instead of subclassing these. */
const declaredExitCode = (error: Error): number | undefined => {
  const code = (error as { exitCode?: unknown }).exitCode;
  return code === EXIT_FAILURE || code === EXIT_USAGE ? code : undefined;
};

export interface Outcome {
  exitCode: number;
  /** What to print on stderr (without the trailing newline); empty when commander already printed it. */
  message: string;
  /** An error we did not expect: the stack trace helps, so the handler says how to get it. */
  unexpected: boolean;
}

/** Errors that carry a list of problems (the authoring checks): a broken project, not a bad argument. */
const hasProblemList = (error: Error): boolean => Array.isArray((error as { problems?: unknown }).problems);

/** Decides exit code and message for anything a command threw. Pure, so it is tested without a process. */
export function outcomeOf(error: unknown): Outcome {
  if (error instanceof CommanderError) {
    // commander has printed its own one-line message (unknown option, bad value, missing argument);
    // help and --version end with its own code 0.
    return { exitCode: error.exitCode === 0 ? 0 : EXIT_USAGE, message: '', unexpected: false };
  }
  // An InvalidInputError about an option (its source is `--as-of`, `--exported-at`…) is a usage error; about a file, a failure.
  if (error instanceof UnknownPersonaError || (error instanceof InvalidInputError && error.source.startsWith('--'))) return { exitCode: EXIT_USAGE, message: `error: ${error.message}`, unexpected: false };
  const declared = error instanceof Error ? declaredExitCode(error) : undefined;
  if (declared !== undefined) return { exitCode: declared, message: `error: ${(error as Error).message}`, unexpected: false };
  // The authoring errors (a config file, a template that does not compile) carry their problem list.
  if (error instanceof InvalidInputError || (error instanceof Error && hasProblemList(error))) {
    return { exitCode: EXIT_FAILURE, message: `error: ${error.message}`, unexpected: false };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: EXIT_FAILURE, message: `error: ${message.split('\n')[0]}`, unexpected: true };
}

/** The stack of an error and of its causes, for --debug. */
export function stackOf(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; e = e instanceof Error ? e.cause : undefined, depth++) {
    parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
  }
  return parts.join('\ncaused by: ');
}
