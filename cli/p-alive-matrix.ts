/**
 * A heat-map of BG/NBD P(alive) by purchase frequency and recency, as an SVG
 * string (no dependencies, no I/O): rows are x = repeat purchases (0 at the
 * bottom), columns are t_x = the period of the last purchase counted from the
 * first (0 on the left, T = today on the right), for customers first seen T
 * periods ago. Pale cells are customers who have probably stopped buying.
 *
 * Every cell carries `data-x`, `data-tx` and `data-p-alive` attributes and a
 * <title> tooltip; the cells x = 0, t_x > 0 cannot occur (a customer without a
 * repeat purchase has t_x = 0) and are drawn hatched, without a value.
 * Dashed lines mark P(alive) = 0.5 and 0.15, the default marks below which the
 * lifecycle stages call a customer declining / lapsed.
 */
import { probabilityAlive, type BgNbdParams } from '#domain/customer-value/bgnbd.ts';

export interface PAliveMatrixOptions {
  /** How long the customers have been observed (first purchase to today), in periods. */
  T: number;
  /** Rows x = 0..maxFrequency repeat purchases. */
  maxFrequency: number;
  /** Columns t_x = T·j/recencySteps for j = 0..recencySteps (recencySteps + 1 columns). */
  recencySteps: number;
  title: string;
  /** Name of one period, singular (default 'week'). */
  periodName?: string;
  /** A line under the title (default: how to read the chart). */
  subtitle?: string;
}

/** ColorBrewer YlGnBu (9 classes): pale yellow = low P(alive), dark blue = high. */
const COLOUR_STOPS = ['#ffffd9', '#edf8b1', '#c7e9b4', '#7fcdbb', '#41b6c4', '#1d91c0', '#225ea8', '#253494', '#081d58'] as const;

/** Threshold lines: the default stage marks of lifecycle-stage.ts. */
const THRESHOLDS = [
  { value: 0.5, label: 'declining below', dash: '6 3' },
  { value: 0.15, label: 'lapsed below', dash: '2 2.5' },
] as const;

function hexToRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Colour of a probability in [0, 1] on the YlGnBu scale (linear between the stops). */
export function pAliveColour(p: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(p) ? p : 0));
  const position = clamped * (COLOUR_STOPS.length - 1);
  const i = Math.min(Math.floor(position), COLOUR_STOPS.length - 2);
  const f = position - i;
  const from = hexToRgb(COLOUR_STOPS[i] as string);
  const to = hexToRgb(COLOUR_STOPS[i + 1] as string);
  const channel = (k: number) => Math.round((from[k] as number) + f * ((to[k] as number) - (from[k] as number)));
  return `#${[0, 1, 2].map((k) => channel(k).toString(16).padStart(2, '0')).join('')}`;
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&apos;');
}

const num = (n: number) => (Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100));
const coord = (n: number) => String(Math.round(n * 100) / 100);

/** Pick about `target` tick positions 0..n that are multiples of a round step (1, 2, 5, 10, …). */
function tickStep(n: number, target: number): number {
  const raw = n / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const m of [1, 2, 5, 10]) if (m * magnitude >= raw) return m * magnitude;
  return 10 * magnitude;
}

export interface PAliveCell {
  x: number;
  tx: number;
  /** undefined for the impossible cells x = 0, t_x > 0. */
  pAlive: number | undefined;
}

/** The matrix values, rows x = 0..maxFrequency, columns t_x = T·j/recencySteps. */
export function pAliveMatrix(params: BgNbdParams, options: Pick<PAliveMatrixOptions, 'T' | 'maxFrequency' | 'recencySteps'>): PAliveCell[][] {
  const { T, maxFrequency, recencySteps } = options;
  if (!(Number.isFinite(T) && T > 0)) throw new RangeError(`pAliveMatrix: T must be a positive number, got ${T}`);
  if (!(Number.isInteger(maxFrequency) && maxFrequency >= 1)) throw new RangeError(`pAliveMatrix: maxFrequency must be an integer ≥ 1, got ${maxFrequency}`);
  if (!(Number.isInteger(recencySteps) && recencySteps >= 1)) throw new RangeError(`pAliveMatrix: recencySteps must be an integer ≥ 1, got ${recencySteps}`);
  const rows: PAliveCell[][] = [];
  for (let x = 0; x <= maxFrequency; x++) {
    const row: PAliveCell[] = [];
    for (let j = 0; j <= recencySteps; j++) {
      const tx = (T * j) / recencySteps;
      row.push({ x, tx, pAlive: x === 0 && j > 0 ? undefined : probabilityAlive(params, x, tx, T) });
    }
    rows.push(row);
  }
  return rows;
}

/** The heat-map as a standalone SVG document (see the module comment). */
export function renderPAliveMatrixSvg(params: BgNbdParams, options: PAliveMatrixOptions): string {
  const { T, maxFrequency, recencySteps, title } = options;
  const unit = options.periodName ?? 'week';
  const matrix = pAliveMatrix(params, { T, maxFrequency, recencySteps });
  const columns = recencySteps + 1;
  const rows = maxFrequency + 1;

  // Layout.
  const cell = Math.max(8, Math.min(24, Math.floor(640 / columns)));
  const cellH = Math.max(8, Math.min(24, Math.floor(400 / rows)));
  const left = 84;
  const top = 104;
  const gridW = cell * columns;
  const gridH = cellH * rows;
  const legendX = left + gridW + 36;
  const legendW = 18;
  const width = legendX + 190;
  const bottomNote = top + gridH + 104;
  const height = bottomNote + 34;
  const colX = (j: number) => left + j * cell;
  const rowY = (x: number) => top + (maxFrequency - x) * cellH; // x = 0 at the bottom

  const out: string[] = [];
  const font = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${font}" font-size="12" fill="#222" role="img" aria-labelledby="p-alive-title p-alive-desc">`,
    `<title id="p-alive-title">${escapeXml(title)}</title>`,
    `<desc id="p-alive-desc">Heat-map of the probability that a customer is still active, by number of repeat purchases (rows) and week of the last purchase (columns), for customers first seen ${num(T)} ${unit}s ago.</desc>`,
    '<defs>',
    '<linearGradient id="p-alive-scale" x1="0" y1="1" x2="0" y2="0">',
    ...COLOUR_STOPS.map((c, i) => `<stop offset="${coord(i / (COLOUR_STOPS.length - 1))}" stop-color="${c}"/>`),
    '</linearGradient>',
    '<pattern id="p-alive-none" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">',
    '<rect width="6" height="6" fill="#f2f2f2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#cfcfcf" stroke-width="2"/>',
    '</pattern>',
    '</defs>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="30" font-size="17" font-weight="600">${escapeXml(title)}</text>`,
    `<text x="${left}" y="52" font-size="13" fill="#444">${escapeXml(
      options.subtitle ??
        `Bought often but not recently (top left): probably gone. Bought recently (right): probably still buying.`,
    )}</text>`,
    `<text x="${left}" y="72" font-size="12" fill="#666">Each cell: a customer first seen ${num(T)} ${unit}s ago, with x repeat purchases, the last one in ${unit} t_x.</text>`,
  );

  // Cells.
  out.push(`<g class="cells" shape-rendering="crispEdges">`);
  for (const row of matrix) {
    row.forEach((c, j) => {
      const ago = T - c.tx;
      const where = `x=${c.x}, t_x=${num(c.tx)}`;
      if (c.pAlive === undefined) {
        out.push(
          `<rect class="cell" x="${coord(colX(j))}" y="${coord(rowY(c.x))}" width="${cell}" height="${cellH}" fill="url(#p-alive-none)" data-x="${c.x}" data-tx="${num(c.tx)}" data-impossible="true"><title>${where}: not possible (no repeat purchase means t_x = 0)</title></rect>`,
        );
        return;
      }
      const p = c.pAlive;
      out.push(
        `<rect class="cell" x="${coord(colX(j))}" y="${coord(rowY(c.x))}" width="${cell}" height="${cellH}" fill="${pAliveColour(p)}" data-x="${c.x}" data-tx="${num(c.tx)}" data-p-alive="${p.toPrecision(6)}"><title>${escapeXml(
          `${where}: P(alive) ${p.toFixed(2)}, last purchase ${num(ago)} ${unit}${ago === 1 ? '' : 's'} ago`,
        )}</title></rect>`,
      );
    });
  }
  out.push('</g>');
  out.push(`<rect x="${left}" y="${top}" width="${gridW}" height="${gridH}" fill="none" stroke="#888" stroke-width="1"/>`);

  // Threshold lines: P(alive) increases with t_x in every row x ≥ 1, so each row crosses a threshold at most once.
  for (const threshold of THRESHOLDS) {
    const segments: string[] = [];
    let previousX: number | undefined;
    for (let x = maxFrequency; x >= 1; x--) {
      const row = matrix[x] as PAliveCell[];
      let k = row.findIndex((c) => (c.pAlive ?? 1) >= threshold.value);
      if (k === -1) k = columns;
      const bx = colX(k);
      const yTop = rowY(x);
      if (previousX === undefined) segments.push(`M${coord(bx)},${coord(yTop)}`);
      else if (previousX !== bx) segments.push(`H${coord(bx)}`);
      segments.push(`V${coord(yTop + cellH)}`);
      previousX = bx;
    }
    out.push(
      `<path class="threshold" data-p-alive="${threshold.value}" d="${segments.join('')}" fill="none" stroke="#ffffff" stroke-width="3.5" stroke-linejoin="round" opacity="0.85"/>`,
      `<path d="${segments.join('')}" fill="none" stroke="#b2182b" stroke-width="1.6" stroke-dasharray="${threshold.dash}" stroke-linejoin="round"/>`,
    );
  }

  // Axes.
  const xStep = tickStep(recencySteps, 8);
  out.push('<g class="x-axis" font-size="11" text-anchor="middle">');
  const xTicks: number[] = [];
  for (let j = 0; j <= recencySteps; j += xStep) xTicks.push(j);
  if (recencySteps - (xTicks.at(-1) ?? 0) >= xStep / 2) xTicks.push(recencySteps);
  else xTicks[xTicks.length - 1] = recencySteps;
  for (const j of xTicks) {
    const cx = colX(j) + cell / 2;
    const tx = (matrix[0] as PAliveCell[])[j]?.tx ?? 0;
    const ago = T - tx;
    out.push(
      `<line x1="${coord(cx)}" y1="${top + gridH}" x2="${coord(cx)}" y2="${top + gridH + 4}" stroke="#888"/>`,
      `<text x="${coord(cx)}" y="${top + gridH + 16}">${num(tx)}</text>`,
      `<text x="${coord(cx)}" y="${top + gridH + 29}" fill="#777" font-size="10">${ago === 0 ? 'today' : `${num(ago)} ago`}</text>`,
    );
  }
  out.push(
    `<text x="${coord(left + gridW / 2)}" y="${top + gridH + 50}" font-size="12.5">t_x: ${escapeXml(unit)} of the last purchase (0 = the first purchase, ${num(T)} = today); in grey: ${escapeXml(unit)}s ago</text>`,
    `<text x="${left}" y="${top + gridH + 68}" text-anchor="start" fill="#555">← last bought long ago</text>`,
    `<text x="${left + gridW}" y="${top + gridH + 68}" text-anchor="end" fill="#555">last bought recently →</text>`,
    '</g>',
  );
  const yStep = tickStep(maxFrequency, 12);
  out.push('<g class="y-axis" font-size="11" text-anchor="end">');
  for (let x = 0; x <= maxFrequency; x += yStep) {
    const cy = rowY(x) + cellH / 2;
    out.push(
      `<line x1="${left - 4}" y1="${coord(cy)}" x2="${left}" y2="${coord(cy)}" stroke="#888"/>`,
      `<text x="${left - 7}" y="${coord(cy + 4)}">${x}</text>`,
    );
  }
  const midY = top + gridH / 2;
  out.push(
    `<text x="${left - 36}" y="${coord(midY)}" font-size="12.5" text-anchor="middle" transform="rotate(-90 ${left - 36} ${coord(midY)})">x: repeat purchases (purchase days after the first)</text>`,
    '</g>',
  );

  // Legend: colour scale with ticks and the threshold marks.
  const legendTop = top;
  const legendH = Math.min(gridH, 260);
  const legendY = (p: number) => legendTop + (1 - p) * legendH;
  out.push(
    '<g class="legend" font-size="11">',
    `<text x="${legendX}" y="${legendTop - 28}" font-size="12.5" font-weight="600">P(alive)</text>`,
    `<text x="${legendX}" y="${legendTop - 13}" fill="#555">chance still a customer</text>`,
    `<rect x="${legendX}" y="${legendTop}" width="${legendW}" height="${legendH}" fill="url(#p-alive-scale)" stroke="#888" stroke-width="0.8"/>`,
  );
  for (const p of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(
      `<line x1="${legendX + legendW}" y1="${coord(legendY(p))}" x2="${legendX + legendW + 4}" y2="${coord(legendY(p))}" stroke="#555"/>`,
      `<text x="${legendX + legendW + 7}" y="${coord(legendY(p) + 4)}">${p === 0 ? '0' : p === 1 ? '1' : String(p)}${p === 1 ? ' still buying' : p === 0 ? ' gone' : ''}</text>`,
    );
  }
  let ly = legendTop + legendH + 24;
  for (const threshold of THRESHOLDS) {
    out.push(
      `<line x1="${legendX}" y1="${ly}" x2="${legendX + 26}" y2="${ly}" stroke="#b2182b" stroke-width="1.6" stroke-dasharray="${threshold.dash}"/>`,
      `<text x="${legendX + 32}" y="${ly + 4}">P = ${threshold.value}: ${threshold.label}</text>`,
    );
    ly += 18;
  }
  out.push(
    `<rect x="${legendX}" y="${ly - 6}" width="26" height="12" fill="url(#p-alive-none)" stroke="#bbb" stroke-width="0.6"/>`,
    `<text x="${legendX + 32}" y="${ly + 4}">not possible</text>`,
    '</g>',
  );

  out.push(
    `<text x="${left}" y="${bottomNote}" font-size="11" fill="#666">x = 0 (bought once) is always 1 here: the model lets customers drop out only right after a purchase.</text>`,
    `<text x="${left}" y="${bottomNote + 15}" font-size="11" fill="#666">One-time buyers are judged by time since their first order instead (lifecycle stages exploring → declining → lapsed).</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
