import Handlebars from 'handlebars';
import type { CompiledTemplate } from './template-compiler-schema.ts';
import { compileTemplateProgram } from './template-program.ts';

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

/** One formatter per locale and currency: building an Intl.NumberFormat costs ~100 µs, formatting with one ~1 µs. */
const moneyFormats = new Map<string, Intl.NumberFormat | undefined>();
function moneyFormat(locale: string, currency: string): Intl.NumberFormat | undefined {
  const key = `${locale}\u0000${currency}`;
  if (moneyFormats.has(key)) return moneyFormats.get(key);
  let format: Intl.NumberFormat | undefined;
  try {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency });
  } catch {
    format = undefined; // an unknown locale or currency: plain two decimals, as before
  }
  if (moneyFormats.size < FORMAT_CACHE_CAP) moneyFormats.set(key, format);
  return format;
}

/** One long-date formatter per locale and time zone (building one costs ~60 µs); capped, as both come from customer data. */
const dateFormats = new Map<string, Intl.DateTimeFormat | undefined>();
function dateFormat(locale: string, timeZone: string | undefined): Intl.DateTimeFormat | undefined {
  const key = `${locale}\u0000${timeZone ?? ''}`;
  if (dateFormats.has(key)) return dateFormats.get(key);
  let format: Intl.DateTimeFormat | undefined;
  try {
    format = new Intl.DateTimeFormat(locale, { dateStyle: 'long', ...(timeZone !== undefined ? { timeZone } : {}) });
  } catch {
    format = undefined; // an unknown locale or time zone: the ISO date, as before
  }
  if (dateFormats.size < FORMAT_CACHE_CAP) dateFormats.set(key, format);
  return format;
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
    return format ? format.format(value) : value.toFixed(2);
  },
  /** A date (ISO instant) as the customer's language writes it, on their own calendar day: `{{date cart.abandonedAt customer.locale customer.timeZone}}`. */
  date: (value: unknown, locale: unknown, timeZone: unknown) => {
    const at = typeof value === 'string' || typeof value === 'number' ? new Date(value) : undefined;
    if (!at || Number.isNaN(at.getTime())) return '';
    const format = dateFormat(typeof locale === 'string' ? locale : 'en', typeof timeZone === 'string' ? timeZone : undefined);
    return format ? format.format(at) : at.toISOString().slice(0, 10);
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
const oneLine = (text: string) => text.replace(CONTROL_CHARACTERS, ' ').replace(/ {2,}/g, ' ').trim();

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
