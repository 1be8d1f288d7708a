import Handlebars from 'handlebars';
import type { CompiledTemplate } from './template-compiler-schema.ts';

export class TemplateNotFoundError extends Error {
  override readonly name = 'TemplateNotFoundError';
  constructor(readonly template: string) {
    super(`no compiled template named '${template}'`);
  }
}

type Render = (context: object) => string;

function createEngine() {
  const hb = Handlebars.create();
  hb.registerHelper('money', (amount: unknown, currency: unknown, locale: unknown) => {
    const value = typeof amount === 'number' ? amount : Number(amount);
    const code = typeof currency === 'string' ? currency : 'USD';
    const loc = typeof locale === 'string' ? locale : 'en';
    try {
      return new Intl.NumberFormat(loc, { style: 'currency', currency: code }).format(value);
    } catch {
      return value.toFixed(2);
    }
  });
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('gt', (a: unknown, b: unknown) => Number(a) > Number(b));
  return hb;
}

/**
 * Renders emails from compiled templates. Each Handlebars function is built once per
 * process and reused; per recipient only the function call runs. HTML output escapes
 * every field; text output and subjects are plain text and are not HTML-escaped.
 */
export class TemplateRenderer {
  private readonly engine = createEngine();
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

  /** A one-line plain-text field (subject, preheader): rendered unescaped, line breaks removed. */
  renderLine(source: string, context: object): string {
    let render = this.inline.get(source);
    if (!render) {
      render = this.engine.compile(source, { noEscape: true });
      this.inline.set(source, render);
    }
    return render(context).replace(/[\r\n]+/g, ' ').trim();
  }
}
