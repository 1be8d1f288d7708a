import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probabilityAlive } from '#domain/customer-value/bgnbd.ts';
import { pAliveColour, renderPAliveMatrixSvg } from '#cli/p-alive-matrix.ts';
import { ModelsFitError, runModelsFit } from '#cli/customer-value-report.ts';

/** Fader, Hardie & Lee (2005) CDNOW estimates. */
const CDNOW = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const T = 39;
const MAX_X = 12;
const STEPS = 39;

interface Cell {
  x: number;
  tx: number;
  p: number | undefined;
  fill: string;
}

function cellsOf(svg: string): Cell[] {
  const cells: Cell[] = [];
  for (const match of svg.matchAll(/<rect class="cell"([^>]*)>/g)) {
    const attrs = match[1] as string;
    const get = (name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(attrs)?.[1];
    const p = get('data-p-alive');
    cells.push({ x: Number(get('data-x')), tx: Number(get('data-tx')), p: p === undefined ? undefined : Number(p), fill: get('fill') ?? '' });
  }
  return cells;
}

/** Minimal XML well-formedness check: balanced tags, one root, attributes quoted, no stray '&' or '<'. */
function checkWellFormed(xml: string): void {
  const stack: string[] = [];
  let roots = 0;
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(xml); m !== null; m = tag.exec(xml)) {
    const between = xml.slice(last, m.index);
    expect(between, `text before ${m[0].slice(0, 40)}`).not.toMatch(/<|&(?!(?:amp|lt|gt|quot|apos|#\d+);)/);
    last = m.index + m[0].length;
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      expect(stack.pop(), `closing </${name}>`).toBe(name);
    } else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name as string);
    } else if (stack.length === 0) roots++;
  }
  expect(xml.slice(last).trim()).toBe('');
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
}

describe('renderPAliveMatrixSvg', () => {
  const svg = renderPAliveMatrixSvg(CDNOW, { T, maxFrequency: MAX_X, recencySteps: STEPS, title: 'P(alive) <CDNOW> & friends' });
  const cells = cellsOf(svg);
  const at = (x: number, tx: number) => {
    const cell = cells.find((c) => c.x === x && c.tx === tx);
    if (cell === undefined) throw new Error(`no cell x=${x} t_x=${tx}`);
    return cell;
  };
  const luminance = (hex: string) => {
    const n = Number.parseInt(hex.slice(1), 16);
    return 0.2126 * ((n >> 16) & 255) + 0.7152 * ((n >> 8) & 255) + 0.0722 * (n & 255);
  };

  it('is a standalone, well-formed SVG document with a title, axis labels and a colour legend', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    checkWellFormed(svg);
    expect(svg).toContain('P(alive) &lt;CDNOW&gt; &amp; friends'); // the title is escaped
    expect(svg).toContain('<g class="legend"');
    expect(svg).toContain('<linearGradient id="p-alive-scale"');
    expect(svg).toContain('x: repeat purchases');
    expect(svg).toContain('t_x: week of the last purchase');
    expect(svg).toMatch(/P = 0\.5: declining below/);
  });

  it('has exactly one cell per (x, t_x): rows x = 0..maxFrequency, columns t_x = 0..T', () => {
    expect(cells).toHaveLength((MAX_X + 1) * (STEPS + 1));
    const keys = new Set(cells.map((c) => `${c.x}|${c.tx}`));
    expect(keys.size).toBe(cells.length);
    for (let x = 0; x <= MAX_X; x++) for (let j = 0; j <= STEPS; j++) expect(keys.has(`${x}|${(T * j) / STEPS}`)).toBe(true);
  });

  it('puts the model value in each cell; x = 0 is 1 at t_x = 0 and impossible elsewhere', () => {
    const impossible = cells.filter((c) => c.x === 0 && c.tx > 0);
    expect(impossible.length).toBe(STEPS);
    for (const c of impossible) expect(c.p).toBeUndefined();
    for (const c of cells.filter((c) => !impossible.includes(c))) expect(c.p).toBeCloseTo(probabilityAlive(CDNOW, c.x, c.tx, T), 5);
    expect(at(0, 0).p).toBe(1);
  });

  it('is monotone: a more recent last purchase means more likely alive, at every frequency', () => {
    for (let x = 1; x <= MAX_X; x++) {
      const row = cells.filter((c) => c.x === x).sort((p, q) => p.tx - q.tx);
      for (let j = 1; j < row.length; j++) expect(row[j]?.p as number).toBeGreaterThan(row[j - 1]?.p as number);
    }
  });

  it('shows frequent buyers who stopped long ago as probably gone, and lighter than recent ones', () => {
    const goneFrequent = at(10, 10);
    const recentFrequent = at(10, 38);
    const goneOccasional = at(1, 10);
    expect(goneFrequent.p as number).toBeLessThan(0.05);
    expect(recentFrequent.p as number).toBeGreaterThan(0.8);
    // Many purchases then silence is worse news than one purchase then silence.
    expect(goneFrequent.p as number).toBeLessThan(goneOccasional.p as number);
    expect(luminance(goneFrequent.fill)).toBeGreaterThan(luminance(recentFrequent.fill));
  });

  it('colours low probabilities lighter than high ones', () => {
    const steps = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1].map(pAliveColour);
    for (const c of steps) expect(c).toMatch(/^#[0-9a-f]{6}$/);
    for (let i = 1; i < steps.length; i++) expect(luminance(steps[i] as string)).toBeLessThan(luminance(steps[i - 1] as string));
  });

  it('rejects a matrix it cannot draw', () => {
    expect(() => renderPAliveMatrixSvg(CDNOW, { T: 0, maxFrequency: 5, recencySteps: 5, title: '' })).toThrow(/T must be/);
    expect(() => renderPAliveMatrixSvg(CDNOW, { T: 39, maxFrequency: 0, recencySteps: 5, title: '' })).toThrow(/maxFrequency/);
    expect(() => renderPAliveMatrixSvg(CDNOW, { T: 39, maxFrequency: 5, recencySteps: 2.5, title: '' })).toThrow(/recencySteps/);
  });
});

describe('runModelsFit (small logs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'models-fit-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A deterministic little shop: 120 customers with different purchase rates, drop-out and spend. */
  function smallShopCsv(): string {
    const lines = ['customer_id,date,quantity,amount'];
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let c = 0; c < 120; c++) {
      let day = Math.floor(random() * 60);
      const meanGap = 4 + 200 * random() ** 2;
      const dropout = 0.1 + 0.6 * random();
      const spend = 10 + 60 * random();
      for (;;) {
        const date = new Date(Date.UTC(2024, 0, 1 + day)).toISOString().slice(0, 10);
        lines.push(`c${c},${date},1,${(spend * (0.7 + 0.6 * random())).toFixed(2)}`);
        if (random() < dropout) break;
        day += 1 + Math.floor(-meanGap * Math.log(1 - random()));
        if (day > 360) break;
      }
    }
    return `${lines.join('\n')}\n`;
  }

  it('fits, prints the readable block and reports rejected lines without stopping', async () => {
    const file = join(dir, 'shop.csv');
    writeFileSync(file, `${smallShopCsv()}c999,2024-02-30,1,10\nc998,2024-03-01,one,10\n`);
    let text = '';
    const result = await runModelsFit({ orders: file, format: 'csv', calibrationEnd: '2024-06-30' }, (t) => (text += t));
    expect(text).toMatch(/warning: .*shop\.csv: 2 line\(s\) rejected and skipped; first at line \d+: date: not a valid calendar date/);
    for (const label of ['customers', 'repeat purchases', 'alpha', 'log-likelihood', 'iterations', 'customers used', 'mean order value', 'Fit took']) {
      expect(text).toContain(label);
    }
    expect(text).not.toContain('Hold-out');
    expect(result.report.input.rejectedLines).toBe(2);
    expect(result.report.customers).toBe(120);
    expect(result.report.bgnbd.converged).toBe(true);
    expect(result.report.input.periodDays).toBe(7);
  });

  it('prints exactly one JSON object with --json, warnings going elsewhere', async () => {
    const file = join(dir, 'shop-json.csv');
    writeFileSync(file, `${smallShopCsv()}bad line\n`);
    let text = '';
    let warnings = '';
    await runModelsFit(
      { orders: file, format: 'csv', calibrationEnd: '2024-06-30', holdoutEnd: '2024-12-31', json: true, periodDays: 1 },
      (t) => (text += t),
      (t) => (warnings += t),
    );
    const report = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['customers', 'bgnbd', 'gammaGamma', 'holdout']));
    expect(Object.keys(report.bgnbd as object)).toEqual(['r', 'alpha', 'a', 'b', 'logLikelihood', 'iterations', 'converged']);
    expect(report.gammaGamma).toMatchObject({ p: expect.any(Number), q: expect.any(Number), v: expect.any(Number) });
    expect((report.input as { periodDays: number }).periodDays).toBe(1);
    expect(warnings).toContain('1 line(s) rejected');
  });

  it('names the missing file', async () => {
    const missing = join(dir, 'nope.txt');
    await expect(runModelsFit({ orders: missing, format: 'cdnow', calibrationEnd: '1997-09-30' }, () => undefined)).rejects.toThrow(
      new ModelsFitError(`cannot read order log ${missing}: no such file`),
    );
  });

  it('says so when nobody came back', async () => {
    const file = join(dir, 'one-timers.csv');
    writeFileSync(file, 'customer_id,date,quantity,amount\na,2024-01-01,1,10\nb,2024-01-02,1,12\nc,2024-01-03,2,30\na,2024-09-01,1,10\n');
    await expect(runModelsFit({ orders: file, format: 'csv', calibrationEnd: '2024-06-30' }, () => undefined)).rejects.toThrow(
      /one-timers\.csv: no repeat customers up to 2024-06-30 \(all 3 customers bought on one day only\)/,
    );
  });

  it('says so when no line is an order, and checks its options', async () => {
    const file = join(dir, 'garbage.txt');
    writeFileSync(file, '00001 19970101 1\n');
    await expect(runModelsFit({ orders: file, format: 'cdnow', calibrationEnd: '1997-09-30' }, () => undefined)).rejects.toThrow(
      /garbage\.txt: no valid orders in the cdnow order log \(1 line\(s\) rejected; first at line 1: columns: expected 4/,
    );
    await expect(
      runModelsFit({ orders: file, format: 'cdnow', calibrationEnd: '1997-13-01', holdoutEnd: '1997-01-01' }, () => undefined),
    ).rejects.toThrow(/--calibration-end: expected a date as YYYY-MM-DD/);
    await expect(
      runModelsFit({ orders: file, format: 'cdnow', calibrationEnd: '1997-09-30', holdoutEnd: '1997-01-01' }, () => undefined),
    ).rejects.toThrow(/--holdout-end 1997-01-01 must be after --calibration-end 1997-09-30/);
  });
});
