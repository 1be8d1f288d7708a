import { describe, expect, it } from 'vitest';
import { CronExpressionError, toSchedulerCron } from '#lib/cron-expression.ts';

describe('toSchedulerCron (five-field cron → EventBridge Scheduler cron)', () => {
  it.each([
    ['0 5 * * *', 'cron(0 5 * * ? *)'],
    ['0 9 * * TUE', 'cron(0 9 ? * TUE *)'],
    ['0 9 * * mon-fri', 'cron(0 9 ? * MON-FRI *)'],
    ['30 8 1 * *', 'cron(30 8 1 * ? *)'],
    ['0 0 1 jan *', 'cron(0 0 1 JAN ? *)'],
    ['*/15 * * * *', 'cron(0/15 * * * ? *)'],
    ['0 */6 * * *', 'cron(0 0/6 * * ? *)'],
    ['0 12 */2 * *', 'cron(0 12 1/2 * ? *)'],
  ])('%s → %s', (input, expected) => {
    expect(toSchedulerCron(input)).toBe(expected);
  });

  it('renumbers days of the week (cron: Sunday 0 or 7; Scheduler: Sunday 1)', () => {
    expect(toSchedulerCron('0 9 * * 0')).toBe('cron(0 9 ? * 1 *)');
    expect(toSchedulerCron('0 9 * * 7')).toBe('cron(0 9 ? * 1 *)');
    expect(toSchedulerCron('0 9 * * 1-5')).toBe('cron(0 9 ? * 2-6 *)');
    expect(toSchedulerCron('0 9 * * 1,3,6')).toBe('cron(0 9 ? * 2,4,7 *)');
    expect(toSchedulerCron('0 9 * * 0-7')).toBe('cron(0 9 ? * 1-7 *)');
  });

  it('rejects what Scheduler cannot express, saying why', () => {
    expect(() => toSchedulerCron('0 9 1 * MON')).toThrow(/both day-of-month and day-of-week/);
    expect(() => toSchedulerCron('0 9 * * 5-7')).toThrow(/ends on Sunday as 7/);
    expect(() => toSchedulerCron('0 9 * *')).toThrow(CronExpressionError);
    expect(() => toSchedulerCron('@daily')).toThrow(/five-field/);
    expect(() => toSchedulerCron('0 9 * * MON#1')).toThrow(/day-of-week/);
  });
});
