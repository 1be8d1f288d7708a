/**
 * Pure parsing of order logs (CDNOW text, CSV, JSON Lines) into validated orders.
 *
 * Every non-blank line either becomes an order or a `rejected` entry whose
 * reason names the offending field; one bad line never stops the rest.
 * Customer ids are kept exactly as given (no stripping of leading zeros, no cleaning).
 */
import { z } from 'zod';
import { dayNumber, IsoDateSchema, isValidCalendarDate, OrderSchema, type IsoDate, type Order } from '#domain/order.ts';
import { Email, Locale, PersonName, TimeZone } from '#domain/shop-events.ts';
import { encodeCustomerId, MAX_CUSTOMER_ID_LENGTH } from './customer-id.ts';

export { dayNumber, IsoDateSchema, OrderSchema, type IsoDate, type Order };

/**
 * What a csv or jsonl line may also say about its customer; every field optional. Consent
 * comes only from here: a log without `marketingConsent` imports its customers without it.
 */
export const CustomerDetailsSchema = z.object({
  email: Email.optional(),
  firstName: PersonName(100).optional(),
  lastName: PersonName(100).optional(),
  locale: Locale.optional(),
  timeZone: TimeZone.optional(),
  marketingConsent: z.boolean({ error: 'expected true or false' }).optional(),
  /** The topics consented to; absent or empty with consent means every topic. */
  topics: z.array(z.string().trim().min(1).max(40)).max(20).optional(),
  /** When the consent was given or refused; the order's date when absent. */
  consentAt: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 instant or a date YYYY-MM-DD' }).optional(),
});
export type CustomerDetails = z.infer<typeof CustomerDetailsSchema>;

/** An order line with what it says about its customer. */
export const ImportedOrderSchema = OrderSchema.extend(CustomerDetailsSchema.shape);
export type ImportedOrder = z.infer<typeof ImportedOrderSchema>;

const DETAIL_FIELDS = Object.keys(CustomerDetailsSchema.shape) as (keyof CustomerDetails)[];

const COMPACT_DATE_PATTERN = /^(\d{4})(\d{2})(\d{2})$/;
const NUMBER_PATTERN = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const MAX_REJECTED_TEXT = 500;

export const OrderLogFormatSchema = z.enum(['cdnow', 'csv', 'jsonl']);
export type OrderLogFormat = z.infer<typeof OrderLogFormatSchema>;

export const RejectedLineSchema = z.object({
  /** 1-based line number in the input text. */
  line: z.number().int().positive(),
  reason: z.string(),
  /** The offending line (truncated to 500 characters). */
  text: z.string(),
});
export type RejectedLine = z.infer<typeof RejectedLineSchema>;

export interface ParsedOrderLog {
  orders: ImportedOrder[];
  rejected: RejectedLine[];
}

/** Where each accepted order came from, until the date check has seen them all. */
interface Accepted {
  order: ImportedOrder;
  line: number;
  text: string;
}

/** YYYYMMDD → YYYY-MM-DD; anything else is returned unchanged (validation reports it). */
function normaliseDate(raw: string): string {
  const compact = COMPACT_DATE_PATTERN.exec(raw);
  return compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : raw;
}

/** Strict decimal number parsing: '' or '12abc' give NaN (Number('') would give 0). */
function parseNumber(raw: string): number {
  return NUMBER_PATTERN.test(raw) ? Number(raw) : Number.NaN;
}

function truncate(text: string): string {
  return text.length > MAX_REJECTED_TEXT ? `${text.slice(0, MAX_REJECTED_TEXT)}…` : text;
}

type Candidate = Record<string, unknown>;

/** Per-parse memo of date validity (logs repeat a few hundred distinct dates many times). */
type DateValidityCache = Map<string, boolean>;

function isValidDate(value: string, cache: DateValidityCache | undefined): boolean {
  if (cache === undefined) return isValidCalendarDate(value);
  let valid = cache.get(value);
  if (valid === undefined) {
    valid = isValidCalendarDate(value);
    cache.set(value, valid);
  }
  return valid;
}

function isOptionalNonEmptyString(value: unknown): boolean {
  return value === undefined || (typeof value === 'string' && value.length > 0);
}

/**
 * Fast path equivalent to `OrderSchema.safeParse(candidate).success` for the
 * candidates built by this module (zod costs a few µs per line, which matters
 * on logs with 10⁵+ lines). Failing candidates go through zod for the reason;
 * a unit test checks that both agree.
 */
export function isValidOrderCandidate(candidate: Readonly<Record<string, unknown>>, dateCache?: DateValidityCache): boolean {
  const { customerId, date, quantity, amount, orderId, email } = candidate;
  return (
    typeof customerId === 'string' &&
    customerId.length > 0 &&
    typeof date === 'string' &&
    isValidDate(date, dateCache) &&
    typeof quantity === 'number' &&
    Number.isSafeInteger(quantity) &&
    quantity >= 0 &&
    typeof amount === 'number' &&
    Number.isFinite(amount) &&
    amount >= 0 &&
    isOptionalNonEmptyString(orderId) &&
    isOptionalNonEmptyString(email)
  );
}

/** A source id too long to be a profile id once encoded is refused here, not merged or cut. */
function customerIdProblem(customerId: string): string | undefined {
  const encoded = encodeCustomerId(customerId).length;
  if (encoded <= MAX_CUSTOMER_ID_LENGTH) return undefined;
  return `customerId: too long to be a customer id (${encoded} characters once encoded, at most ${MAX_CUSTOMER_ID_LENGTH}) (got ${JSON.stringify(customerId)})`;
}

/** Validate a candidate order; on failure, a reason naming each bad field (with the raw value when known). */
function validate(
  candidate: Candidate,
  raw: Record<string, string | undefined>,
  dateCache: DateValidityCache,
): { order: ImportedOrder } | { reason: string } {
  const hasDetails = DETAIL_FIELDS.some((field) => candidate[field] !== undefined);
  if (!hasDetails && isValidOrderCandidate(candidate, dateCache)) {
    const order: ImportedOrder = {
      customerId: candidate.customerId as string,
      date: candidate.date as string,
      quantity: candidate.quantity as number,
      amount: candidate.amount as number,
    };
    if (candidate.orderId !== undefined) order.orderId = candidate.orderId as string;
    const problem = customerIdProblem(order.customerId);
    return problem ? { reason: problem } : { order };
  }
  const result = ImportedOrderSchema.safeParse(candidate);
  if (result.success) {
    const problem = customerIdProblem(result.data.customerId);
    return problem ? { reason: problem } : { order: result.data };
  }
  const reasons = result.error.issues.map((issue) => {
    const field = issue.path.map(String).join('.') || 'line';
    const rawValue = raw[String(issue.path[0] ?? field)];
    return rawValue === undefined ? `${field}: ${issue.message}` : `${field}: ${issue.message} (got ${JSON.stringify(rawValue)})`;
  });
  return { reason: reasons.join('; ') };
}

/** `true`/`false` (also yes/no, y/n, 1/0) as a boolean; anything else is left for validation to report. */
function parseBoolean(raw: string): boolean | string {
  const value = raw.trim().toLowerCase();
  if (['true', 'yes', 'y', '1'].includes(value)) return true;
  if (['false', 'no', 'n', '0'].includes(value)) return false;
  return raw;
}

/** A consent time given as a bare date means the start of that day (UTC). */
function normaliseInstant(raw: string): string {
  const date = normaliseDate(raw);
  return /^\d{4}-\d{2}-\d{2}$/.test(date) ? `${date}T00:00:00.000Z` : raw;
}

/** CSV `topics`: separated by `;`, `|` or spaces. */
const splitTopics = (raw: string): string[] => raw.split(/[;|\s]+/).filter((t) => t !== '');

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
  }
  if (lines.length > 0 && (lines[0] as string).startsWith('\uFEFF')) lines[0] = (lines[0] as string).slice(1);
  return lines;
}

// ---------------------------------------------------------------- CDNOW

const CDNOW_LAYOUTS = {
  4: 'customer_id date quantity amount',
  5: 'customer_id sample_id date quantity amount',
} as const;

function isCdnowHeader(tokens: readonly string[]): boolean {
  return tokens.length > 0 && tokens.every((token) => /[A-Za-z]/.test(token));
}

function parseCdnow(lines: readonly string[], out: ParseState, dateCache: DateValidityCache): void {
  let layout: 4 | 5 | undefined;
  let seenFirst = false;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] as string;
    const trimmed = text.trim();
    if (trimmed === '') continue;
    const tokens = trimmed.split(/\s+/);
    if (!seenFirst) {
      seenFirst = true;
      if (isCdnowHeader(tokens)) continue;
    }
    if (layout === undefined && (tokens.length === 4 || tokens.length === 5)) layout = tokens.length;
    if (tokens.length !== layout) {
      const expected =
        layout === undefined
          ? `4 (${CDNOW_LAYOUTS[4]}) or 5 (${CDNOW_LAYOUTS[5]}) whitespace-separated columns`
          : `${layout} whitespace-separated columns (${CDNOW_LAYOUTS[layout]}, as in the first data line)`;
      out.rejected.push({
        line: i + 1,
        reason: `columns: expected ${expected}, got ${tokens.length}`,
        text: truncate(text),
      });
      continue;
    }
    const offset = layout === 5 ? 1 : 0;
    const raw = {
      customerId: tokens[0] as string,
      date: tokens[1 + offset] as string,
      quantity: tokens[2 + offset] as string,
      amount: tokens[3 + offset] as string,
    };
    const result = validate(
      {
        customerId: raw.customerId,
        date: normaliseDate(raw.date),
        quantity: parseNumber(raw.quantity),
        amount: parseNumber(raw.amount),
      },
      raw,
      dateCache,
    );
    if ('order' in result) out.accepted.push({ order: result.order, line: i + 1, text });
    else out.rejected.push({ line: i + 1, reason: result.reason, text: truncate(text) });
  }
}

// ---------------------------------------------------------------- CSV

/**
 * Split one CSV line (RFC 4180 quoting: fields may be wrapped in double quotes,
 * a doubled quote inside a quoted field is a literal quote, commas inside quotes
 * do not split). Unquoted fields are trimmed. Records spanning several lines
 * are not supported: an unterminated quote is an error.
 */
export function parseCsvLine(line: string): { fields: string[] } | { error: string } {
  const fields: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    // Skip leading blanks of a field.
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
    if (line[i] === '"') {
      i++;
      let value = '';
      for (;;) {
        const next = line.indexOf('"', i);
        if (next === -1) return { error: `unterminated quoted field starting in column ${fields.length + 1}` };
        value += line.slice(i, next);
        if (line[next + 1] === '"') {
          value += '"';
          i = next + 2;
          continue;
        }
        i = next + 1;
        break;
      }
      while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
      if (i < n && line[i] !== ',') {
        return { error: `unexpected character after closing quote in column ${fields.length + 1}` };
      }
      fields.push(value);
    } else {
      const next = line.indexOf(',', i);
      const end = next === -1 ? n : next;
      const value = line.slice(i, end).trim();
      if (value.includes('"')) return { error: `stray quote in unquoted field in column ${fields.length + 1}` };
      fields.push(value);
      i = end;
    }
    if (i >= n) return { fields };
    i++; // the comma
    if (i === n) {
      fields.push('');
      return { fields };
    }
  }
}

/** CSV header names (matched ignoring case, `_` and `-`: `first_name` and `firstName` alike) → fields. */
const CSV_COLUMNS = {
  customerid: 'customerId',
  date: 'date',
  quantity: 'quantity',
  amount: 'amount',
  orderid: 'orderId',
  email: 'email',
  firstname: 'firstName',
  lastname: 'lastName',
  locale: 'locale',
  timezone: 'timeZone',
  marketingconsent: 'marketingConsent',
  topics: 'topics',
  consentat: 'consentAt',
} as const;
type CsvColumn = keyof typeof CSV_COLUMNS;
const REQUIRED_CSV_COLUMNS: readonly CsvColumn[] = ['customerid', 'date', 'quantity', 'amount'];
const CSV_COLUMN_NAMES: Record<CsvColumn, string> = {
  customerid: 'customer_id',
  date: 'date',
  quantity: 'quantity',
  amount: 'amount',
  orderid: 'order_id',
  email: 'email',
  firstname: 'first_name',
  lastname: 'last_name',
  locale: 'locale',
  timezone: 'time_zone',
  marketingconsent: 'marketing_consent',
  topics: 'topics',
  consentat: 'consent_at',
};

const csvColumnKey = (name: string) => name.trim().toLowerCase().replace(/[_-]/g, '');

function isCsvColumn(name: string): name is CsvColumn {
  return Object.hasOwn(CSV_COLUMNS, name);
}

function parseCsv(lines: readonly string[], out: ParseState, dateCache: DateValidityCache): void {
  let headerLine = -1;
  for (let i = 0; i < lines.length; i++) {
    if ((lines[i] as string).trim() !== '') {
      headerLine = i;
      break;
    }
  }
  if (headerLine === -1) return;

  const header = parseCsvLine(lines[headerLine] as string);
  let headerError: string | undefined;
  const positions = new Map<CsvColumn, number>();
  let width = 0;
  if ('error' in header) {
    headerError = `header: ${header.error}`;
  } else {
    width = header.fields.length;
    header.fields.forEach((name, index) => {
      const key = csvColumnKey(name);
      if (isCsvColumn(key) && !positions.has(key)) positions.set(key, index);
    });
    const missing = REQUIRED_CSV_COLUMNS.filter((column) => !positions.has(column));
    if (missing.length > 0) headerError = `header: missing required column(s) ${missing.map((c) => CSV_COLUMN_NAMES[c]).join(', ')}`;
  }
  if (headerError !== undefined) {
    out.rejected.push({ line: headerLine + 1, reason: headerError, text: truncate(lines[headerLine] as string) });
  }

  for (let i = headerLine + 1; i < lines.length; i++) {
    const text = lines[i] as string;
    if (text.trim() === '') continue;
    if (headerError !== undefined) {
      out.rejected.push({ line: i + 1, reason: `not parsed: the CSV header is invalid (${headerError})`, text: truncate(text) });
      continue;
    }
    const parsed = parseCsvLine(text);
    if ('error' in parsed) {
      out.rejected.push({ line: i + 1, reason: `csv: ${parsed.error}`, text: truncate(text) });
      continue;
    }
    if (parsed.fields.length !== width) {
      out.rejected.push({
        line: i + 1,
        reason: `columns: expected ${width} comma-separated columns as in the header, got ${parsed.fields.length}`,
        text: truncate(text),
      });
      continue;
    }
    const raw: Record<string, string | undefined> = {};
    for (const [column, index] of positions) raw[CSV_COLUMNS[column]] = parsed.fields[index];
    const candidate: Candidate = {
      customerId: raw.customerId,
      date: normaliseDate(raw.date ?? ''),
      quantity: parseNumber(raw.quantity ?? ''),
      amount: parseNumber(raw.amount ?? ''),
    };
    const given = (field: string): string | undefined => (raw[field] === undefined || raw[field] === '' ? undefined : raw[field]);
    for (const field of ['orderId', 'email', 'firstName', 'lastName', 'locale', 'timeZone'] as const) {
      const value = given(field);
      if (value !== undefined) candidate[field] = value;
    }
    const consent = given('marketingConsent');
    if (consent !== undefined) candidate.marketingConsent = parseBoolean(consent);
    const topics = given('topics');
    if (topics !== undefined) candidate.topics = splitTopics(topics);
    const consentAt = given('consentAt');
    if (consentAt !== undefined) candidate.consentAt = normaliseInstant(consentAt);
    const result = validate(candidate, raw, dateCache);
    if ('order' in result) out.accepted.push({ order: result.order, line: i + 1, text });
    else out.rejected.push({ line: i + 1, reason: result.reason, text: truncate(text) });
  }
}

// ---------------------------------------------------------------- JSON Lines

const JSONL_FIELDS = ['customerId', 'date', 'quantity', 'amount', 'orderId', ...DETAIL_FIELDS] as const;
const REQUIRED_JSONL_FIELDS: readonly string[] = ['customerId', 'date', 'quantity', 'amount'];

function parseJsonl(lines: readonly string[], out: ParseState, dateCache: DateValidityCache): void {
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] as string;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      out.rejected.push({ line: i + 1, reason: `json: invalid JSON (${detail})`, text: truncate(text) });
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      out.rejected.push({ line: i + 1, reason: 'json: expected a JSON object per line', text: truncate(text) });
      continue;
    }
    const object = value as Record<string, unknown>;
    const candidate: Candidate = {};
    const raw: Record<string, string | undefined> = {};
    for (const field of JSONL_FIELDS) {
      const fieldValue = object[field];
      // null or "" stands for "not given" in an optional field
      if (fieldValue === undefined || ((fieldValue === null || fieldValue === '') && !REQUIRED_JSONL_FIELDS.includes(field))) continue;
      candidate[field] =
        typeof fieldValue === 'string' && field === 'date' ? normaliseDate(fieldValue) : typeof fieldValue === 'string' && field === 'consentAt' ? normaliseInstant(fieldValue) : fieldValue;
      raw[field] = typeof fieldValue === 'string' ? fieldValue : JSON.stringify(fieldValue);
    }
    const result = validate(candidate, raw, dateCache);
    if ('order' in result) out.accepted.push({ order: result.order, line: i + 1, text });
    else out.rejected.push({ line: i + 1, reason: result.reason, text: truncate(text) });
  }
}

interface ParseState {
  accepted: Accepted[];
  rejected: RejectedLine[];
}

/** Below this many orders there is no bulk to judge a date against. */
const MIN_ORDERS_FOR_DATE_CHECK = 20;
/** The bulk's margin is never narrower than this, whatever the log's span. */
const MIN_DATE_MARGIN_DAYS = 30;

const dateOfDay = (n: number) => new Date(n * 86_400_000).toISOString().slice(0, 10);

/**
 * Orders dated far from the bulk of the log (a 2030 typo in a 2026 log) are rejected: left
 * in, one such line would move the replay window years away. The bulk runs from the 1st to
 * the 99th percentile of order dates (so the outliers themselves never set it); a date more
 * than the bulk's own span (at least 30 days) before or after it is far.
 */
export function rejectDatesFarFromBulk(accepted: readonly Accepted[]): { kept: Accepted[]; rejected: RejectedLine[] } {
  if (accepted.length < MIN_ORDERS_FOR_DATE_CHECK) return { kept: [...accepted], rejected: [] };
  const days = accepted.map((a) => dayNumber(a.order.date)).sort((a, b) => a - b);
  const low = days[Math.ceil(0.01 * (days.length - 1))] as number;
  const high = days[Math.floor(0.99 * (days.length - 1))] as number;
  const margin = Math.max(high - low, MIN_DATE_MARGIN_DAYS);
  const kept: Accepted[] = [];
  const rejected: RejectedLine[] = [];
  for (const a of accepted) {
    const day = dayNumber(a.order.date);
    if (day >= low - margin && day <= high + margin) kept.push(a);
    else
      rejected.push({
        line: a.line,
        reason: `date: ${a.order.date} is far from the rest of the log (98% of its orders fall between ${dateOfDay(low)} and ${dateOfDay(high)}; dates from ${dateOfDay(low - margin)} to ${dateOfDay(high + margin)} are accepted)`,
        text: truncate(a.text),
      });
  }
  return { kept, rejected };
}

/**
 * Parse an order log.
 *
 * - `cdnow`: whitespace-separated `customer_id date(YYYYMMDD) quantity amount`
 *   (CDNOW master layout) or `customer_id sample_id date quantity amount`
 *   (CDNOW sample layout); the layout is taken from the first data line, an
 *   optional header line (all tokens containing letters) is skipped.
 * - `csv`: header row naming `customer_id,date,quantity,amount` and optionally
 *   `order_id`, `email`, `first_name`, `last_name`, `locale`, `time_zone`,
 *   `marketing_consent`, `topics`, `consent_at` (any order; case, `_` and `-` ignored,
 *   so `firstName` works too); dates YYYY-MM-DD or YYYYMMDD; an empty cell is "not given".
 * - `jsonl`: one JSON object per line with `customerId` (string), `date`
 *   (string, YYYY-MM-DD or YYYYMMDD), `quantity`, `amount` (numbers), optional
 *   `orderId`, `email`, `firstName`, `lastName`, `locale`, `timeZone` (strings),
 *   `marketingConsent` (boolean), `topics` (array of strings), `consentAt` (instant or date).
 *
 * Blank lines are ignored; every other line is either an order or rejected (an invalid
 * email, a date far from the bulk of the log, an id too long to encode), in line order.
 */
export function parseOrderLog(text: string, format: OrderLogFormat): ParsedOrderLog {
  const state: ParseState = { accepted: [], rejected: [] };
  const lines = splitLines(text);
  const dateCache: DateValidityCache = new Map();
  switch (OrderLogFormatSchema.parse(format)) {
    case 'cdnow':
      parseCdnow(lines, state, dateCache);
      break;
    case 'csv':
      parseCsv(lines, state, dateCache);
      break;
    case 'jsonl':
      parseJsonl(lines, state, dateCache);
      break;
  }
  const { kept, rejected } = rejectDatesFarFromBulk(state.accepted);
  const all = rejected.length ? [...state.rejected, ...rejected].sort((a, b) => a.line - b.line) : state.rejected;
  return { orders: kept.map((a) => a.order), rejected: all };
}
