/**
 * Pure parsing of order logs (CDNOW text, CSV, JSON Lines) into validated orders.
 *
 * Every non-blank line either becomes an `Order` or a `rejected` entry whose
 * reason names the offending field; one bad line never stops the rest.
 * Customer ids are kept exactly as given (no stripping of leading zeros).
 */
import { z } from 'zod';
import { dayNumber, IsoDateSchema, isValidCalendarDate, OrderSchema, type IsoDate, type Order } from '#domain/order.ts';

export { dayNumber, IsoDateSchema, OrderSchema, type IsoDate, type Order };

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
  orders: Order[];
  rejected: RejectedLine[];
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

/** Validate a candidate order; on failure, a reason naming each bad field (with the raw value when known). */
function validate(
  candidate: Candidate,
  raw: Record<string, string | undefined>,
  dateCache: DateValidityCache,
): { order: Order } | { reason: string } {
  if (isValidOrderCandidate(candidate, dateCache)) {
    const order: Order = {
      customerId: candidate.customerId as string,
      date: candidate.date as string,
      quantity: candidate.quantity as number,
      amount: candidate.amount as number,
    };
    if (candidate.orderId !== undefined) order.orderId = candidate.orderId as string;
    if (candidate.email !== undefined) order.email = candidate.email as string;
    return { order };
  }
  const result = OrderSchema.safeParse(candidate);
  if (result.success) return { order: result.data };
  const reasons = result.error.issues.map((issue) => {
    const field = issue.path.map(String).join('.') || 'line';
    const rawValue = raw[field];
    return rawValue === undefined ? `${field}: ${issue.message}` : `${field}: ${issue.message} (got ${JSON.stringify(rawValue)})`;
  });
  return { reason: reasons.join('; ') };
}

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

function parseCdnow(lines: readonly string[], out: ParsedOrderLog, dateCache: DateValidityCache): void {
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
    if ('order' in result) out.orders.push(result.order);
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

const CSV_COLUMNS = {
  customer_id: 'customerId',
  date: 'date',
  quantity: 'quantity',
  amount: 'amount',
  order_id: 'orderId',
  email: 'email',
} as const;
type CsvColumn = keyof typeof CSV_COLUMNS;
const REQUIRED_CSV_COLUMNS: readonly CsvColumn[] = ['customer_id', 'date', 'quantity', 'amount'];

function isCsvColumn(name: string): name is CsvColumn {
  return Object.hasOwn(CSV_COLUMNS, name);
}

function parseCsv(lines: readonly string[], out: ParsedOrderLog, dateCache: DateValidityCache): void {
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
      const key = name.trim().toLowerCase();
      if (isCsvColumn(key) && !positions.has(key)) positions.set(key, index);
    });
    const missing = REQUIRED_CSV_COLUMNS.filter((column) => !positions.has(column));
    if (missing.length > 0) headerError = `header: missing required column(s) ${missing.join(', ')}`;
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
    if (raw.orderId !== undefined && raw.orderId !== '') candidate.orderId = raw.orderId;
    if (raw.email !== undefined && raw.email !== '') candidate.email = raw.email;
    const result = validate(candidate, raw, dateCache);
    if ('order' in result) out.orders.push(result.order);
    else out.rejected.push({ line: i + 1, reason: result.reason, text: truncate(text) });
  }
}

// ---------------------------------------------------------------- JSON Lines

const JSONL_FIELDS = ['customerId', 'date', 'quantity', 'amount', 'orderId', 'email'] as const;

function parseJsonl(lines: readonly string[], out: ParsedOrderLog, dateCache: DateValidityCache): void {
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
      if (fieldValue === undefined || (fieldValue === null && (field === 'orderId' || field === 'email'))) continue;
      candidate[field] = field === 'date' && typeof fieldValue === 'string' ? normaliseDate(fieldValue) : fieldValue;
      raw[field] = typeof fieldValue === 'string' ? fieldValue : JSON.stringify(fieldValue);
    }
    const result = validate(candidate, raw, dateCache);
    if ('order' in result) out.orders.push(result.order);
    else out.rejected.push({ line: i + 1, reason: result.reason, text: truncate(text) });
  }
}

/**
 * Parse an order log.
 *
 * - `cdnow`: whitespace-separated `customer_id date(YYYYMMDD) quantity amount`
 *   (CDNOW master layout) or `customer_id sample_id date quantity amount`
 *   (CDNOW sample layout); the layout is taken from the first data line, an
 *   optional header line (all tokens containing letters) is skipped.
 * - `csv`: header row naming `customer_id,date,quantity,amount` and optionally
 *   `order_id,email` (any order, case-insensitive); dates YYYY-MM-DD or YYYYMMDD.
 * - `jsonl`: one JSON object per line with `customerId` (string), `date`
 *   (string, YYYY-MM-DD or YYYYMMDD), `quantity`, `amount` (numbers), optional
 *   `orderId`, `email` (strings).
 *
 * Blank lines are ignored; every other line is either an order or rejected.
 */
export function parseOrderLog(text: string, format: OrderLogFormat): ParsedOrderLog {
  const out: ParsedOrderLog = { orders: [], rejected: [] };
  const lines = splitLines(text);
  const dateCache: DateValidityCache = new Map();
  switch (OrderLogFormatSchema.parse(format)) {
    case 'cdnow':
      parseCdnow(lines, out, dateCache);
      break;
    case 'csv':
      parseCsv(lines, out, dateCache);
      break;
    case 'jsonl':
      parseJsonl(lines, out, dateCache);
      break;
  }
  return out;
}
