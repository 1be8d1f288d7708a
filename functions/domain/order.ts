/** An order as the customer-value models read it, and the calendar dates it carries (pure: no clock). */
import { z } from 'zod';

const ISO_DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function isValidCalendarDate(value: string): boolean {
  const match = ISO_DATE_PATTERN.exec(value);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  return day <= daysInMonth;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil; pure arithmetic). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** A calendar date written YYYY-MM-DD. */
export const IsoDateSchema = z
  .string()
  .regex(ISO_DATE_PATTERN, 'expected a date as YYYY-MM-DD or YYYYMMDD')
  .refine(isValidCalendarDate, 'not a valid calendar date');
export type IsoDate = z.infer<typeof IsoDateSchema>;

export const OrderSchema = z.object({
  customerId: z.string().min(1, 'must not be empty'),
  date: IsoDateSchema,
  quantity: z
    .number({ error: 'expected a number' })
    .int('must be a whole number')
    .nonnegative('must not be negative'),
  amount: z.number({ error: 'expected a number' }).nonnegative('must not be negative'),
  orderId: z.string().min(1, 'must not be empty').optional(),
  email: z.string().min(1, 'must not be empty').optional(),
});
export type Order = z.infer<typeof OrderSchema>;

/** Days since 1970-01-01 (UTC) of a valid YYYY-MM-DD date. Pure: no clock read. */
export function dayNumber(isoDate: string): number {
  const match = ISO_DATE_PATTERN.exec(isoDate);
  if (!match || !isValidCalendarDate(isoDate)) throw new RangeError(`not a valid YYYY-MM-DD date: ${JSON.stringify(isoDate)}`);
  return daysFromCivil(Number(match[1]), Number(match[2]), Number(match[3]));
}
