/**
 * Five-field cron (what campaigns and mailer.config.yaml use, and what the local runtime
 * runs with cron-parser) to EventBridge Scheduler's six-field `cron(...)` form.
 *
 * The two dialects differ in three ways, each handled here:
 * - Scheduler has a year field (always `*` here).
 * - Scheduler needs `?` in exactly one of day-of-month and day-of-week. Classic cron
 *   fires when either restricted day field matches; Scheduler cannot say that, so a
 *   cron restricting both is rejected rather than silently changed.
 * - Day-of-week numbers: classic cron counts 0–7 with Sunday as 0 and 7; Scheduler
 *   counts 1–7 with Sunday as 1. Names (MON, TUE…) mean the same in both.
 */
export class CronExpressionError extends Error {
  override readonly name = 'CronExpressionError';
}

const FIELD = /^[0-9A-Za-z*,/?#-]+$/;
const DOW_NUMBER = /^[0-7]$/;

/** `cron(min hour day-of-month month day-of-week year)` for a five-field cron. */
export function toSchedulerCron(fiveField: string): string {
  const fields = fiveField.trim().split(/\s+/);
  if (fields.length !== 5) throw new CronExpressionError(`"${fiveField}" is not a five-field cron (minute hour day-of-month month day-of-week)`);
  for (const f of fields) {
    if (!FIELD.test(f)) throw new CronExpressionError(`"${fiveField}": unsupported characters in field "${f}"`);
  }
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const anyDom = dom === '*' || dom === '?';
  const anyDow = dow === '*' || dow === '?';
  if (!anyDom && !anyDow) {
    throw new CronExpressionError(
      `"${fiveField}" restricts both day-of-month and day-of-week; EventBridge Scheduler cannot run "either day" schedules — use two campaigns or restrict only one of them`,
    );
  }
  const scheduler = [
    startStep(minute, 0),
    startStep(hour, 0),
    anyDom ? (anyDow ? '*' : '?') : startStep(dom, 1),
    startStep(month.toUpperCase(), 1),
    anyDow ? '?' : dayOfWeek(dow.toUpperCase(), fiveField),
    '*',
  ];
  return `cron(${scheduler.join(' ')})`;
}

/** `*\/n` → `first/n` (Scheduler documents increments as `start/step`). */
const startStep = (field: string, first: number) => field.replace(/^\*\//, `${first}/`);

function dayOfWeek(field: string, whole: string): string {
  if (field.includes('#') || field.includes('L')) {
    // Scheduler-only syntax; classic cron has no such thing, so it cannot come from a shared cron.
    throw new CronExpressionError(`"${whole}": day-of-week "${field}" uses syntax the local scheduler does not understand`);
  }
  return field
    .split(',')
    .map((part) => {
      const [range, step] = part.split('/') as [string, string | undefined];
      const converted = range === '*' ? '1' : convertRange(range, whole);
      return step === undefined ? converted : `${converted}/${step}`;
    })
    .join(',');
}

function convertRange(range: string, whole: string): string {
  const ends = range.split('-');
  if (ends.length === 2 && ends[0] === '0' && ends[1] === '7') return '1-7';
  if (ends.length === 2 && ends[1] === '7' && DOW_NUMBER.test(ends[0]!)) {
    // e.g. 5-7 (Friday to Sunday) would become 6-1, which Scheduler reads differently.
    throw new CronExpressionError(`"${whole}": day-of-week range "${range}" ends on Sunday as 7; write it as a list (5,6,0) or with names (FRI,SAT,SUN)`);
  }
  return ends.map((end) => (DOW_NUMBER.test(end) ? String((Number(end) % 7) + 1) : end)).join('-');
}
