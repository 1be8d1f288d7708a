/**
 * Parsers for the command's arguments. Each one either returns the value or throws commander's
 * InvalidArgumentError, which commander prints as one line naming the option and the bad value
 * ("error: option '--from <date>' argument '2026-13-01' is invalid. not a date …") and the
 * top-level handler turns into exit code 2.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { isValidCalendarDate } from '#domain/order.ts';
import { FaultPlan, parseFaults } from '#lib/local/fault-injection.ts';

const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar day as YYYY-MM-DD (2026-02-30 and 2026-13-01 are not dates). */
export function isoDay(value: string): string {
  if (!DATE_PATTERN.test(value)) throw new InvalidArgumentError('not a date: expected YYYY-MM-DD, e.g. 2026-03-01.');
  if (!isValidCalendarDate(value)) throw new InvalidArgumentError('not a date: no such day in the calendar.');
  return value;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A whole number ≥ 1 (a count of customers, a port…). */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!NUMBER.test(value.trim()) || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return n;
}

/** A TCP port to listen on: 1–65535. */
export function portNumber(value: string): number {
  const n = positiveInteger(value);
  if (n > 65_535) throw new InvalidArgumentError('expected a port number from 1 to 65535.');
  return n;
}

/** A number > 0 (a rate, a length in days). */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!NUMBER.test(value.trim()) || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number greater than 0.');
  return n;
}

const FAULT_NAMES = Object.keys(FaultPlan.shape);
const Probability = z.coerce.number().min(0).max(1);

/** `ses-throttle=0.2,ses-error=0.05`: each name known, each value a probability. */
export function faultSpec(value: string): FaultPlan {
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name = '', probability, extra] = part.split('=');
    if (!FAULT_NAMES.includes(name)) throw new InvalidArgumentError(`unknown fault '${name}' (known: ${FAULT_NAMES.join(', ')}).`);
    if (probability === undefined || extra !== undefined || probability.trim() === '' || !Probability.safeParse(probability).success) {
      throw new InvalidArgumentError(`${part}: expected ${name}=<probability between 0 and 1>.`);
    }
  }
  try {
    return parseFaults(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

function kindOf(path: string): 'file' | 'directory' | 'missing' | 'other' {
  try {
    const s = statSync(path);
    return s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other';
  } catch {
    return 'missing';
  }
}

/** A file that must exist (an order log). */
export function existingFile(value: string): string {
  const kind = kindOf(value);
  if (kind === 'missing') throw new InvalidArgumentError(`no such file (looked in ${resolve(value)}).`);
  if (kind !== 'file') throw new InvalidArgumentError('is a directory, not a file.');
  return value;
}

/** A folder that must exist (the project). */
export function existingDirectory(value: string): string {
  const kind = kindOf(value);
  if (kind === 'missing') throw new InvalidArgumentError(`no such folder (looked in ${resolve(value)}).`);
  if (kind !== 'directory') throw new InvalidArgumentError('is a file, not a folder.');
  return value;
}

/** A file to write into a folder that exists (so the run does not fail at its very end). */
export function fileInExistingFolder(value: string): string {
  if (kindOf(value) === 'directory') throw new InvalidArgumentError('is a folder: give a file name.');
  if (kindOf(dirname(resolve(value))) !== 'directory') throw new InvalidArgumentError(`the folder ${dirname(resolve(value))} does not exist.`);
  return value;
}

/** A BCP 47 locale tag such as en-US or ja-JP. */
export function localeTag(value: string): string {
  let canonical: string | undefined;
  try {
    [canonical] = Intl.getCanonicalLocales(value);
  } catch {
    canonical = undefined;
  }
  if (!canonical) throw new InvalidArgumentError('not a locale: expected a tag like en-US or ja-JP.');
  return canonical;
}
