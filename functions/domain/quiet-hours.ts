import { z } from 'zod';

const WallClock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day like 21:00');

/**
 * The customer's night, in their own time zone: from `start` until `end` (which may be the
 * next morning). A send due inside it waits until `end`. Campaign ids in `exempt` go at any hour.
 */
export const QuietHours = z
  .object({
    start: WallClock,
    end: WallClock,
    exempt: z.array(z.string()).default([]),
  })
  .strict()
  .refine((q) => q.start !== q.end, { message: 'start and end must differ (leave quietHours out for none)' });
export type QuietHours = z.infer<typeof QuietHours>;

const MINUTE = 60_000;
const DAY = 1_440 * MINUTE;

const formats = new Map<string, Intl.DateTimeFormat>();
function formatFor(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(timeZone, f);
  }
  return f;
}

/** The wall-clock reading in `timeZone` at instant `t`, as if that reading were UTC (ms). */
function wallClockMs(t: number, timeZone: string): number {
  const parts = Object.fromEntries(formatFor(timeZone).formatToParts(new Date(t)).map((p) => [p.type, p.value]));
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * The instant at which a wall-clock reading (as UTC ms) happens in `timeZone`. Around a DST
 * change the offset differs either side, so both are tried: of the readings that exist the
 * earlier wins (a repeated hour); a reading skipped by the clock change maps to the moment
 * just after the jump, shifted by the size of the gap.
 */
function instantOfWallClock(wall: number, timeZone: string): number {
  const candidates = [wall - (wallClockMs(wall - DAY / 2, timeZone) - (wall - DAY / 2)), wall - (wallClockMs(wall + DAY / 2, timeZone) - (wall + DAY / 2))];
  const exact = candidates.filter((t) => wallClockMs(t, timeZone) === wall);
  return exact.length ? Math.min(...exact) : Math.max(...candidates);
}

/**
 * When the quiet hours that `at` falls in end, in the customer's time zone, or undefined
 * when `at` is outside them. DST-correct: the end is the next local `end` reading, however
 * long the night is in UTC.
 */
export function quietHoursEnd(at: string, timeZone: string, quiet: Pick<QuietHours, 'start' | 'end'>): string | undefined {
  const t = Date.parse(at);
  const wall = wallClockMs(t, timeZone);
  const minute = Math.floor((wall % DAY) / MINUTE);
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  const overnight = start > end;
  const inside = overnight ? minute >= start || minute < end : minute >= start && minute < end;
  if (!inside) return undefined;
  const midnight = wall - (wall % DAY);
  const endDay = overnight && minute >= start ? midnight + DAY : midnight;
  return new Date(instantOfWallClock(endDay + end * MINUTE, timeZone)).toISOString();
}

/**
 * The earliest moment a campaign's send may go to a customer: not before `due`, and not in
 * the customer's quiet hours unless the campaign is exempt. Undefined when it may go at `due`.
 */
export function releaseTime(campaignId: string, timeZone: string, due: string, quiet: QuietHours | undefined): string | undefined {
  if (!quiet || quiet.exempt.includes(campaignId)) return undefined;
  return quietHoursEnd(due, timeZone, quiet);
}
