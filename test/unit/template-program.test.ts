import { describe, expect, it } from 'vitest';
import { compileTemplateProgram } from '#domain/template-program.ts';
import { createTemplateEngine, TEMPLATE_HELPERS } from '#domain/template-renderer.ts';

/** The closures print what Handlebars prints, on the awkward cases as well as the shipped templates (render-equivalence.test.ts). */
const helpers = TEMPLATE_HELPERS as unknown as Record<string, (...args: unknown[]) => unknown>;
const hb = createTemplateEngine();

const CONTEXTS: Record<string, unknown>[] = [
  {},
  { name: '<b>"O\'Brien" & `co` = 1</b>', n: 0, t: true, f: false, nil: null, list: [], items: [{ name: 'a', price: 1.5 }, { name: 'b<', price: 0 }], obj: { x: 1, y: 'two' }, nested: { deep: { value: 'v' } }, currency: 'EUR', locale: 'de-DE', when: '2026-01-02T03:04:05Z', tz: 'Asia/Tokyo', arr: [1, 2, 3], emptyString: '', zero: 0, key: 'name', set: new Set(['p', 'q']), query: 'https://x.test/?a=1&b=&&c==d&' },
  { name: 42, n: 5, t: 'yes', list: [0], items: [], obj: {}, nested: null, arr: [[1], []], key: 'missing', query: '=&=only&' },
  // Numbers of every shape a field can print (a number is never escaped).
  { name: -1.5e21, n: Number.NaN, t: Infinity, f: -0, zero: -Infinity, arr: [1e-7, 2 ** 53, -42], query: 0.1 + 0.2 },
  // Long texts (escaped by indexOf, not a regex), objects without Object.prototype, and a class whose getter sits on its prototype (Handlebars denies it).
  {
    name: `${'x'.repeat(40)}<b>"O'Brien" & \`co\` = 1</b>`,
    query: 'https://shop.example.com/email/unsubscribe?token=eyJhIjoxfQ.abc-def_ghi&view=preferences',
    obj: { x: 'y'.repeat(50), y: `${'z'.repeat(40)}=` },
    nested: Object.assign(Object.create(null) as object, { deep: Object.assign(Object.create(null) as object, { value: 'no prototype' }) }),
    items: [new (class Item { own = 'own field'; get name() { return 'on the prototype'; } get price() { return 3; } })()],
  },
];

const TEMPLATES = [
  'plain text, no fields',
  'Hello {{name}}!',
  'link {{query}} and {{query}} again, raw {{{query}}}',
  'raw {{{name}}} and escaped {{name}}',
  '{{n}} {{t}} {{f}} {{nil}} {{missing}} {{missing.deeper}} {{arr}} {{obj}} {{emptyString}} {{zero}}',
  '{{nested.deep.value}} {{this.name}} {{./name}}',
  '{{#if n}}yes{{else}}no{{/if}} {{#if list}}L{{else}}empty{{/if}} {{#if zero}}z{{/if}} {{#unless t}}not{{else}}is{{/unless}}',
  '{{#each items}}[{{@index}}:{{name}}@{{money price ../currency ../locale}}{{#if @first}} first{{/if}}{{#if @last}} last{{/if}}]{{else}}none{{/each}}',
  '{{#each obj}}{{@key}}={{this}};{{/each}}',
  '{{#each arr}}({{#each this}}{{this}}/{{../../name}}{{/each}}){{/each}}',
  '{{#each set}}{{this}}{{/each}}{{#each nil}}x{{else}}nothing{{/each}}',
  '{{#with nested}}{{deep.value}} {{../name}}{{else}}no nested{{/with}}',
  '{{#with nested.deep}}{{#with ../deep}}{{value}}{{/with}}{{/with}}',
  '{{lookup obj key}} {{lookup nil key}} {{lookup this key}}',
  '{{#if (eq n 5)}}five{{/if}}{{#if (gt n 1)}} more than one{{/if}}',
  '{{money 12.5 currency locale}} {{money "x"}} {{date when locale tz}} {{date "not a date"}} {{date when}}',
  '{{@root.name}} {{#each items}}{{@root.name}}{{/each}}',
  '  {{#if t}}\n  standalone lines are stripped\n  {{/if}}\n{{~name~}}  \n{{! a comment }}{{!-- another --}}end',
  '\\{{name}} escaped mustache',
  '{{constructor}} {{name.constructor}} {{__proto__}} {{obj.hasOwnProperty}} {{name.length}}',
];

describe('compileTemplateProgram against Handlebars', () => {
  it('prints the same for every template and context, escaped and not', () => {
    let checked = 0;
    for (const source of TEMPLATES) {
      for (const noEscape of [false, true]) {
        const program = compileTemplateProgram(source, helpers, { noEscape });
        expect(program, source).toBeDefined();
        const reference = hb.compile(source, { noEscape });
        for (const context of CONTEXTS) {
          expect(program!(context), `${source} ${JSON.stringify(context)}`).toBe(reference(context));
          checked++;
        }
      }
    }
    expect(checked).toBe(TEMPLATES.length * 2 * CONTEXTS.length);
  });

  it('prints each render right while fields remember what they escaped: repeated fields, loops longer than the memory, lists that change between renders', () => {
    const source = '{{name}}|{{name}}|{{#each items}}<{{name}}|{{name}}|{{price}}>{{/each}}|{{name}}|{{#each items}}{{#each tags}}{{this}},{{/each}}{{/each}}';
    const program = compileTemplateProgram(source, helpers)!;
    const reference = hb.compile(source);
    const item = (i: number) => ({ name: `item ${i % 7} & <${i % 3}>`, price: i % 5 === 0 ? `${i}=` : i, tags: [`t${i % 2}'`, `"${i % 6}"`] });
    for (let round = 0; round < 40; round++) {
      const context = { name: round % 3 === 0 ? 'same & name' : `name ${round} "q"`, items: Array.from({ length: round % 9 }, (_, i) => item(i + round)) };
      expect(program(context), `round ${round}`).toBe(reference(context));
    }
  });

  it('denies a property added to Object.prototype after compiling, as Handlebars does', () => {
    const source = '[{{polluted}}|{{obj.polluted}}|{{#each items}}{{polluted}}{{/each}}|{{toString}}|{{obj.constructor}}]';
    const program = compileTemplateProgram(source, helpers)!;
    const reference = hb.compile(source);
    const context = { obj: { x: 1 }, items: [{ a: 1 }] };
    expect(program(context)).toBe('[||||]');
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 'leaked';
    try {
      expect(program(context)).toBe(reference(context));
      expect(program(context)).not.toContain('leaked');
    } finally {
      delete proto.polluted;
    }
  });

  it('leaves to Handlebars what it does not cover', () => {
    for (const source of ['{{> partial}}', '{{#each items as |item|}}{{item}}{{/each}}', '{{#if n includeZero=true}}x{{/if}}', '{{#items}}{{name}}{{/items}}', '{{unknownHelper name}}', '{{money}}', '{{@../index}}', '{{*decorator}}']) {
      expect(compileTemplateProgram(source, helpers), source).toBeUndefined();
    }
  });
});
