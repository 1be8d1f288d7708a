/** The CLI's exit codes and argument checks, without a process (test/integration/cli-errors.test.ts runs the command). */
import { CommanderError, InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { faultSpec, isoDay, localeTag, portNumber, positiveInteger, positiveNumber } from '#cli/arguments.ts';
import { outcomeOf, UsageError } from '#cli/errors.ts';
import { PauseCommandError } from '#cli/pause-commands.ts';
import { ConfigFileError } from '#authoring/campaign-files.ts';
import { UnknownPersonaError } from '#authoring/personas.ts';
import { TemplateCompileError } from '#authoring/template-compiler.ts';
import { InvalidInputError } from '#domain/invalid-input-error.ts';

describe('outcomeOf', () => {
  it('exits 2 for usage errors with their message, 1 for failures, and 0 for --help', () => {
    expect(outcomeOf(new UsageError('--from 2026-03-01 must be on or before --to 2026-02-01'))).toEqual({ exitCode: 2, message: 'error: --from 2026-03-01 must be on or before --to 2026-02-01', unexpected: false });
    expect(outcomeOf(new UnknownPersonaError('bogus'))).toMatchObject({ exitCode: 2, message: expect.stringMatching(/^error: no persona 'bogus'; expected one of prospect, /) });
    expect(outcomeOf(new PauseCommandError('campaign welcome is not paused', { usage: true }))).toMatchObject({ exitCode: 2 });
    expect(outcomeOf(new PauseCommandError('no local tables in /x/dynamodb'))).toMatchObject({ exitCode: 1, message: 'error: no local tables in /x/dynamodb' });
    expect(outcomeOf(new TemplateCompileError('welcome', ['line 3: unclosed tag']))).toEqual({ exitCode: 1, message: 'error: template welcome: line 3: unclosed tag', unexpected: false });
    expect(outcomeOf(new InvalidInputError('--as-of', ['expected a date and time like 2026-10-01T12:00:00Z, got "soon"']))).toMatchObject({ exitCode: 2, message: 'error: --as-of: expected a date and time like 2026-10-01T12:00:00Z, got "soon"' });
    expect(outcomeOf(new InvalidInputError('orders.csv', ['line 3: amount: expected a number']))).toMatchObject({ exitCode: 1, message: 'error: orders.csv: line 3: amount: expected a number' });
    expect(outcomeOf(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"))).toEqual({ exitCode: 2, message: '', unexpected: false });
    expect(outcomeOf(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toMatchObject({ exitCode: 0 });
  });

  it('a broken project (every problem, one per line) is a failure, not a usage error', () => {
    const config = new ConfigFileError([
      { file: 'campaigns/welcome.yaml', message: 'subject: required' },
      { file: 'mailer.config.yaml', message: 'shop.url: expected a URL' },
    ]);
    expect(outcomeOf(config)).toEqual({ exitCode: 1, message: 'error: campaigns/welcome.yaml: subject: required\nmailer.config.yaml: shop.url: expected a URL', unexpected: false });
    // The authoring checks' collected error: any error with a `problems` list.
    const collected = Object.assign(new Error('campaigns/a.yaml:3: bad\ntemplates/b.mjml:9: worse'), { name: 'AuthoringProblems', problems: [{ file: 'campaigns/a.yaml', line: 3, message: 'bad' }] });
    expect(outcomeOf(collected)).toMatchObject({ exitCode: 1, message: 'error: campaigns/a.yaml:3: bad\ntemplates/b.mjml:9: worse', unexpected: false });
  });

  it('an unexpected error is one line and marked unexpected, so the handler offers --debug', () => {
    expect(outcomeOf(new TypeError('x is undefined\n    at somewhere'))).toEqual({ exitCode: 1, message: 'error: x is undefined', unexpected: true });
    expect(outcomeOf('a string')).toEqual({ exitCode: 1, message: 'error: a string', unexpected: true });
  });
});

describe('argument parsers', () => {
  const rejects = (parse: (v: string) => unknown, value: string, message: RegExp) => {
    expect(() => parse(value)).toThrow(InvalidArgumentError);
    expect(() => parse(value)).toThrow(message);
  };

  it('dates: a calendar day as YYYY-MM-DD', () => {
    expect(isoDay('2024-02-29')).toBe('2024-02-29');
    rejects(isoDay, '2026-13-01', /^not a date: no such day/);
    rejects(isoDay, '2025-02-29', /^not a date: no such day/);
    rejects(isoDay, '20260301', /^not a date: expected YYYY-MM-DD/);
    rejects(isoDay, 'tomorrow', /^not a date/);
  });

  it('numbers: counts are whole and at least 1, rates greater than 0', () => {
    expect(positiveInteger('300')).toBe(300);
    rejects(positiveInteger, 'abc', /whole number/);
    rejects(positiveInteger, '2.5', /whole number/);
    rejects(positiveInteger, '0', /whole number/);
    rejects(positiveInteger, '12abc', /whole number/);
    expect(positiveNumber('0.5')).toBe(0.5);
    rejects(positiveNumber, '-1', /greater than 0/);
    rejects(positiveNumber, 'Infinity', /greater than 0/);
  });

  it('ports: a whole number from 1 to 65535 (`ui --port abc` is a usage error, not a crash)', () => {
    expect(portNumber('4400')).toBe(4400);
    rejects(portNumber, 'abc', /whole number/);
    rejects(portNumber, '70000', /port number from 1 to 65535/);
  });

  it('fault specs: each name known, each value a probability', () => {
    expect(faultSpec('ses-throttle=0.2, ses-error=0.05')).toMatchObject({ 'ses-throttle': 0.2, 'ses-error': 0.05, 'ddb-throttle': 0 });
    rejects(faultSpec, 'bogus=0.1', /^unknown fault 'bogus' \(known: ses-throttle, ses-error, /);
    rejects(faultSpec, 'ses-error=2', /ses-error=<probability between 0 and 1>/);
    rejects(faultSpec, 'ses-error', /ses-error=<probability between 0 and 1>/);
    rejects(faultSpec, 'ses-error=abc', /probability/);
  });

  it('locales: a BCP 47 tag, canonicalised', () => {
    expect(localeTag('ja-jp')).toBe('ja-JP');
    rejects(localeTag, 'not a locale', /^not a locale/);
  });
});
