import Handlebars from 'handlebars';
import type { CompiledTemplate } from './template-compiler-schema.ts';
import { compileTemplateProgram } from './template-program.ts';
import { pairMemo } from './pair-memo.ts';

export class TemplateNotFoundError extends Error {
  override readonly name = 'TemplateNotFoundError';
  constructor(readonly template: string) {
    super(`no compiled template named '${template}'`);
  }
}

type Render = (context: object) => string;
type Helpers = Readonly<Record<string, (...args: unknown[]) => unknown>>;

/** Locales and time zones come from customer data: the formatter caches stop growing here. */
const FORMAT_CACHE_CAP = 1000;

/**
 * Money as a locale's Intl.NumberFormat writes it, without an Intl call for the amounts a
 * price can be. Intl.NumberFormat.format costs ~0.6 µs an amount, and a cart email prints
 * each price twice (HTML and text). An amount that is exactly a whole number of the
 * currency's minor units (12.5, 19.99; 1200 yen) has nothing to round, so its text is the
 * locale's prefix, the grouped integer digits, the decimal sign and the minor digits, and
 * the suffix, all read from Intl once. Anything else (more decimals, negative, huge, NaN)
 * goes to Intl itself; so does a locale whose output the probes cannot reproduce exactly
 * (other digits, Indian grouping).
 */
type FormatMoney = (value: number) => string;
function moneyFormatter(format: Intl.NumberFormat): FormatMoney {
  const intl: FormatMoney = (value) => format.format(value);
  const options = format.resolvedOptions();
  const digits = options.maximumFractionDigits ?? -1;
  if (options.numberingSystem !== 'latn' || options.minimumFractionDigits !== digits || digits < 0 || digits > 3) return intl;
  const parts = format.formatToParts(1234567);
  const first = parts.findIndex((p) => p.type === 'integer');
  const last = parts.findLastIndex((p) => p.type === 'integer' || p.type === 'fraction');
  if (first < 0) return intl;
  const prefix = parts.slice(0, first).map((p) => p.value).join('');
  const suffix = parts.slice(last + 1).map((p) => p.value).join('');
  const group = parts.find((p) => p.type === 'group')?.value ?? '';
  const decimal = parts.find((p) => p.type === 'decimal')?.value ?? '';
  if (digits > 0 && !decimal) return intl;
  const scale = 10 ** digits;
  const build = (minimumGrouping: number): FormatMoney => (value) => {
    // An amount of whole minor units, and small enough that the units are an exact integer.
    if (!(value >= 0 && value < 1e12) || Object.is(value, -0)) return intl(value);
    const units = Math.round(value * scale);
    if (units / scale !== value) return intl(value);
    const minor = units % scale;
    const whole = `${(units - minor) / scale}`;
    let integer = whole;
    if (group && whole.length >= 3 + minimumGrouping) {
      integer = whole.slice(0, ((whole.length - 1) % 3) + 1);
      for (let i = integer.length; i < whole.length; i += 3) integer += group + whole.slice(i, i + 3);
    }
    return digits === 0 ? prefix + integer + suffix : prefix + integer + decimal + `${minor}`.padStart(digits, '0') + suffix;
  };
  // Every length of integer part (grouping depends only on it), with every digit, and the edges of the minor units.
  const probes = [0, 0.5 / scale, 1 / scale, 9 / scale, 0.1, 0.5, 1, 9.99, 10, 99.5, 100];
  for (let length = 1; length <= 12; length++) probes.push(Number(`${'9876543210'.repeat(2).slice(0, length)}.${'05'.slice(0, digits)}`), 10 ** (length - 1));
  for (const minimumGrouping of [1, 2]) {
    const fast = build(minimumGrouping);
    if (probes.every((v) => !(v < 1e12) || fast(v) === format.format(v))) return fast;
  }
  return intl;
}

/**
 * A formatter per pair of keys (locale and currency, locale and time zone), in nested maps
 * (no joined key built and hashed per amount), the last pair remembered (an email asks for
 * the same one again and again). Capped, as locales and time zones come from customer data.
 */
function formatterCache<V>(make: (locale: string, other: string | undefined) => V): (locale: string, other: string | undefined) => V {
  return pairMemo(make, FORMAT_CACHE_CAP);
}

/** One formatter per locale and currency: building an Intl.NumberFormat costs ~100 µs. */
const moneyFormat = formatterCache((locale, currency): FormatMoney | undefined => {
  try {
    return moneyFormatter(new Intl.NumberFormat(locale, { style: 'currency', currency }));
  } catch {
    return undefined; // an unknown locale or currency: plain two decimals, as before
  }
});

/**
 * A long-date formatter, remembering the one date it formatted last: an email prints a date
 * in its HTML and again in its text, one after the other, and formatting costs ~1 µs. Only
 * the last value is held (as the template fields hold their last escaped string), so no
 * customer's dates pile up here.
 */
interface DateFormat {
  format: Intl.DateTimeFormat;
  lastValue: string | number | undefined;
  lastText: string;
}
/** One long-date formatter per locale and time zone (building one costs ~60 µs). */
const dateFormat = formatterCache((locale, timeZone): DateFormat | undefined => {
  try {
    return { format: new Intl.DateTimeFormat(locale, { dateStyle: 'long', ...(timeZone !== undefined ? { timeZone } : {}) }), lastValue: undefined, lastText: '' };
  } catch {
    return undefined; // an unknown locale or time zone: the ISO date, as before
  }
});

/** An instant as the data holds them (toISOString's form), with each field in a range Date.parse reads the same way. */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?Z$/;
/** Date.parse, read field by field for the form the data holds (parsing costs ~0.5 µs, more than the rest of a date); Date.parse for any other text. */
function isoInstant(text: string): number {
  const m = ISO_INSTANT.exec(text);
  if (m) {
    const [year, month, day, hour, minute, second] = [+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!];
    // Days up to 28 (every month has them) and years from 1000 (Date.UTC reads 0–99 as 1900–1999): nothing to roll over or reinterpret.
    if (year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= 28 && hour <= 23 && minute <= 59 && second <= 59) return Date.UTC(year, month - 1, day, hour, minute, second, m[7] ? +m[7] : 0);
  }
  return Date.parse(text);
}

/**
 * The project's own Handlebars helpers: the one definition the renderer registers and the
 * authoring checks accept (a name not here or in HANDLEBARS_BUILT_INS is a typo).
 */
export const TEMPLATE_HELPERS = {
  money: (amount: unknown, currency: unknown, locale: unknown) => {
    const value = typeof amount === 'number' ? amount : Number(amount);
    const code = typeof currency === 'string' ? currency : 'USD';
    const loc = typeof locale === 'string' ? locale : 'en';
    const format = moneyFormat(loc, code);
    return format ? format(value) : value.toFixed(2);
  },
  /** A date (ISO instant) as the customer's language writes it, on their own calendar day: `{{date cart.abandonedAt customer.locale customer.timeZone}}`. */
  date: (value: unknown, locale: unknown, timeZone: unknown) => {
    if (typeof value !== 'string' && typeof value !== 'number') return '';
    const format = dateFormat(typeof locale === 'string' ? locale : 'en', typeof timeZone === 'string' ? timeZone : undefined);
    if (format && format.lastValue === value) return format.lastText;
    const at = typeof value === 'string' ? isoInstant(value) : new Date(value).getTime();
    if (Number.isNaN(at)) return '';
    if (!format) return new Date(at).toISOString().slice(0, 10);
    format.lastText = format.format.format(at);
    format.lastValue = value;
    return format.lastText;
  },
  eq: (a: unknown, b: unknown) => a === b,
  gt: (a: unknown, b: unknown) => Number(a) > Number(b),
} as const;

/** Handlebars' own helpers that templates may use (partials, `log` and decorators are not offered). */
export const HANDLEBARS_BUILT_INS = ['if', 'unless', 'each', 'with', 'lookup'] as const;
/** Every helper name a template may call. */
export const HELPER_NAMES: readonly string[] = [...HANDLEBARS_BUILT_INS, ...Object.keys(TEMPLATE_HELPERS)];

/** A Handlebars environment with exactly the project's helpers (renderer and checks share it). */
export function createTemplateEngine(): typeof Handlebars {
  const hb = Handlebars.create();
  for (const [name, helper] of Object.entries(TEMPLATE_HELPERS)) hb.registerHelper(name, helper);
  return hb;
}

/** Control characters (C0, DEL, C1) and Unicode line/paragraph separators: never in a one-line field. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
/** What oneLine changes besides the ends: a line without any is only trimmed (one scan instead of two replaces). */
const NOT_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]| {2}/;
const oneLine = (text: string) => (NOT_ONE_LINE.test(text) ? text.replace(CONTROL_CHARACTERS, ' ').replace(/ {2,}/g, ' ').trim() : text.trim());

/**
 * Renders emails from compiled templates. Each Handlebars function is built once per
 * process and reused; per recipient only the function call runs. HTML output escapes
 * every field; text output and subjects are plain text and are not HTML-escaped.
 */
export class TemplateRenderer {
  private readonly engine = createTemplateEngine();
  private readonly html = new Map<string, Render>();
  private readonly text = new Map<string, Render>();
  private readonly inline = new Map<string, Render>();
  private readonly sources = new Map<string, CompiledTemplate>();
  /** The inline renders that return an already cleaned line. */
  private readonly fixedLines = new WeakSet<Render>();

  constructor(templates: readonly CompiledTemplate[]) {
    for (const t of templates) {
      this.sources.set(t.name, t);
      this.html.set(t.name, this.compile(t.html, {}));
      this.text.set(t.name, this.compile(t.text, { noEscape: true }));
    }
  }

  /** Closures for what the templates use (the same output, no per-call set-up), Handlebars for the rest. */
  private compile(source: string, options: { noEscape?: boolean }): Render {
    return compileTemplateProgram(source, TEMPLATE_HELPERS as unknown as Helpers, options) ?? this.engine.compile(source, { strict: false, ...options });
  }

  has(template: string): boolean {
    return this.html.has(template);
  }

  /** Whether a template's HTML or text source matches `pattern` anywhere (a conservative "may print" check). */
  mentions(template: string, pattern: RegExp): boolean {
    const source = this.sources.get(template);
    return source !== undefined && (pattern.test(source.html) || pattern.test(source.text));
  }

  renderBody(template: string, context: object): { html: string; text: string } {
    const html = this.html.get(template);
    const text = this.text.get(template);
    if (!html || !text) throw new TemplateNotFoundError(template);
    return { html: html(context), text: text(context) };
  }

  /**
   * A one-line plain-text field (subject, preheader): rendered unescaped, with control
   * characters and line breaks (from customer data, say) turned into single spaces, so a
   * value can never start a new header line.
   */
  renderLine(source: string, context: object): string {
    let render = this.inline.get(source);
    if (!render) {
      // A line without a field prints the same for everyone: cleaned once, no Handlebars call per recipient.
      const fixed = source.includes('{{') ? undefined : oneLine(this.engine.compile(source, { noEscape: true })({}));
      if (fixed === undefined) render = this.compile(source, { noEscape: true });
      else {
        render = () => fixed;
        this.fixedLines.add(render);
      }
      this.inline.set(source, render);
    }
    const line = render(context);
    return this.fixedLines.has(render) ? line : oneLine(line);
  }
}
