/**
 * CSV records (RFC 4180) with their starting line numbers: quoted fields may hold commas,
 * doubled quotes and line breaks (Shopify's exports put notes and addresses in them).
 */
export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

export class CsvFormatError extends Error {
  override readonly name = 'CsvFormatError';
}

export function parseCsvRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // Excel's byte-order mark
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let fieldStarted = false;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (quoted) {
      if (ch === '"') {
        if (input[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      fieldStarted = false;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && input[i + 1] === '\n') i++;
      fields.push(field);
      if (fields.some((f) => f.trim() !== '')) records.push({ line: start, fields });
      fields = [];
      field = '';
      fieldStarted = false;
      line++;
      start = line;
    } else {
      field += ch;
      fieldStarted = true;
    }
  }
  if (quoted) throw new CsvFormatError(`line ${start}: a quoted field is never closed`);
  fields.push(field);
  if (fields.some((f) => f.trim() !== '')) records.push({ line: start, fields });
  return records;
}

/** Records as objects keyed by the header row's names (trimmed); the header is the first record. */
export function csvRows(text: string): { header: string[]; rows: { line: number; values: Record<string, string> }[] } {
  const [head, ...rest] = parseCsvRecords(text);
  if (!head) return { header: [], rows: [] };
  const header = head.fields.map((h) => h.trim());
  return {
    header,
    rows: rest.map((r) => ({ line: r.line, values: Object.fromEntries(header.map((name, i) => [name, (r.fields[i] ?? '').trim()])) })),
  };
}
