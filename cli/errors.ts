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
import { ConfigFileError } from '#authoring/campaign-files.ts';
import { UnknownPersonaError } from '#authoring/personas.ts';
import { TemplateCompileError } from '#authoring/template-compiler.ts';
import { InvalidInputError } from '#domain/invalid-input-error.ts';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A bad argument or option (or a combination of them). The message names it and its value. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command that ran and could not do what was asked; the message says why. Exit code 1. */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
}

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
  if (error instanceof UsageError || error instanceof UnknownPersonaError) return { exitCode: EXIT_USAGE, message: `error: ${error.message}`, unexpected: false };
  if (
    error instanceof CommandFailedError ||
    error instanceof ConfigFileError ||
    error instanceof TemplateCompileError ||
    error instanceof InvalidInputError ||
    (error instanceof Error && (knownFailures.has(error.name) || hasProblemList(error)))
  ) {
    return { exitCode: EXIT_FAILURE, message: `error: ${error.message}`, unexpected: false };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: EXIT_FAILURE, message: `error: ${message.split('\n')[0]}`, unexpected: true };
}

/** Failures typed in cli/ (by name, so this module needs no import of each command). */
const knownFailures = new Set(['PauseCommandError', 'ModelsFitError', 'ModelFitRejectedError']);

/** The stack of an error and of its causes, for --debug. */
export function stackOf(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; e = e instanceof Error ? e.cause : undefined, depth++) {
    parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
  }
  return parts.join('\ncaused by: ');
}
