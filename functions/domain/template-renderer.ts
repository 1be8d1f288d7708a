import Handlebars from 'handlebars';
import type { CompiledTemplate } from './template-compiler-schema.ts';

export class TemplateNotFoundError extends Error {
  override readonly name = 'TemplateNotFoundError';
  constructor(readonly template: string) {
    super(`no compiled template named '${template}'`);
  }
}

type Render = (context: object) => string;

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
  moneyFormats.set(key, format);
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
    const loc = typeof locale === 'string' ? locale : 'en';
    try {
      return new Intl.DateTimeFormat(loc, { dateStyle: 'long', ...(typeof timeZone === 'string' ? { timeZone } : {}) }).format(at);
    } catch {
      return at.toISOString().slice(0, 10);
    }
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

  constructor(templates: readonly CompiledTemplate[]) {
    for (const t of templates) {
      this.html.set(t.name, this.engine.compile(t.html, { strict: false }));
      this.text.set(t.name, this.engine.compile(t.text, { noEscape: true }));
    }
  }

  has(template: string): boolean {
    return this.html.has(template);
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
      render = this.engine.compile(source, { noEscape: true });
      this.inline.set(source, render);
    }
    return render(context).replace(CONTROL_CHARACTERS, ' ').replace(/ {2,}/g, ' ').trim();
  }
}
