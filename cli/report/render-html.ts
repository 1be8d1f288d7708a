/**
 * The CRM report as one self-contained HTML page: charts drawn by Apache ECharts'
 * server-side renderer as inline SVG, a table under each chart with the same numbers, and
 * captions in plain language. No script, no external resource, no inline event handler:
 * the page's Content-Security-Policy forbids them, so it opens offline and cannot phone home.
 * Every number shown comes from the CrmReport object (the JSON report), formatted, never
 * recomputed.
 */
import * as echarts from 'echarts';
import type { CustomSeriesOption, EChartsOption } from 'echarts';
import type { CrmReport } from './crm-report.ts';

const WIDTH = 880;
const HEIGHT = 420;

/** Renders one chart to an SVG string; the chart is disposed at once (a live one keeps timers running). */
export function renderChart(option: EChartsOption, width = WIDTH, height = HEIGHT): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: 'system-ui, sans-serif' }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** How a number is shown. The report test parses these back; keep them reversible. */
export const format = {
  count: (n: number | null) => (n === null ? 'n/a' : n.toLocaleString('en-US')),
  money: (n: number | null) => (n === null ? 'n/a' : n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })),
  /** A fraction rounded to 4 decimals, as a percentage with 2. */
  rate: (n: number | null) => (n === null ? 'n/a' : `${(n * 100).toFixed(2)}%`),
  /** A fraction rounded to 6 decimals (deliverability), as a percentage with 4. */
  fineRate: (n: number | null) => (n === null ? 'n/a' : `${(n * 100).toFixed(4)}%`),
  /** A difference of rates, in percentage points. */
  points: (n: number | null) => (n === null ? 'n/a' : `${n > 0 ? '+' : ''}${(n * 100).toFixed(2)} pt`),
  p: (n: number | null) => (n === null ? 'n/a' : n.toFixed(4)),
};

interface Column<R> {
  key: string;
  label: string;
  cell: (row: R) => string;
  numeric?: boolean;
}

function table<R>(id: string, caption: string, columns: readonly Column<R>[], rows: readonly R[], rowKey: (row: R) => string): string {
  const head = columns.map((c) => `<th scope="col" data-key="${escapeHtml(c.key)}">${escapeHtml(c.label)}</th>`).join('');
  const body = rows.length
    ? rows
        .map((r) => `<tr data-row="${escapeHtml(rowKey(r))}">${columns.map((c, i) => (i === 0 ? `<th scope="row" data-key="${escapeHtml(c.key)}">${escapeHtml(c.cell(r))}</th>` : `<td data-key="${escapeHtml(c.key)}"${c.numeric === false ? '' : ' class="num"'}>${escapeHtml(c.cell(r))}</td>`)).join('')}</tr>`)
        .join('\n')
    : `<tr><td colspan="${columns.length}">No data in this period.</td></tr>`;
  // Focusable and named: a table wider than the page scrolls, and a keyboard must reach it.
  return `<div class="table-wrap" tabindex="0" role="region" aria-label="${escapeHtml(caption)}"><table data-table="${escapeHtml(id)}"><caption>${escapeHtml(caption)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function section(id: string, title: string, caption: string, svg: string | undefined, tables: string[]): string {
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2>${svg ? `<figure data-chart="${id}">${svg}<figcaption>${caption}</figcaption></figure>` : `<p>${caption}</p>`}${tables.join('\n')}</section>`;
}

const STAGE_COLOURS: Record<string, string> = { new: '#9e9e9e', prospect: '#90a4ae', exploring: '#4fc3f7', growing: '#66bb6a', stable: '#2e7d32', declining: '#ffa726', lapsed: '#e53935' };

function sendsSection(r: CrmReport): string {
  const rows = r.sends;
  const svg = renderChart({
    title: { text: 'Sends and engagement by campaign, journey and step', left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0, itemGap: 24 },
    grid: { top: 50, left: 60, right: 20, bottom: 120 },
    xAxis: { type: 'category', data: rows.map((x) => x.label), axisLabel: { rotate: 30 } },
    yAxis: { type: 'value', name: 'emails' },
    series: (['sent', 'delivered', 'opens', 'clicks', 'bounces', 'complaints'] as const).map((k) => ({ name: k, type: 'bar' as const, data: rows.map((x) => x[k]) })),
  });
  const columns: Column<CrmReport['sends'][number]>[] = [
    { key: 'label', label: 'campaign / journey / step', cell: (x) => x.label },
    { key: 'sent', label: 'sent', cell: (x) => format.count(x.sent) },
    { key: 'delivered', label: 'delivered', cell: (x) => format.count(x.delivered) },
    { key: 'opens', label: 'opens (all)', cell: (x) => format.count(x.opens) },
    { key: 'humanOpens', label: 'human opens', cell: (x) => format.count(x.humanOpens) },
    { key: 'machineOpens', label: 'machine opens', cell: (x) => format.count(x.machineOpens) },
    { key: 'clicks', label: 'clicks', cell: (x) => format.count(x.clicks) },
    { key: 'unsubscribes', label: 'unsubscribes', cell: (x) => format.count(x.unsubscribes) },
    { key: 'bounces', label: 'bounces', cell: (x) => format.count(x.bounces) },
    { key: 'complaints', label: 'complaints', cell: (x) => format.count(x.complaints) },
    { key: 'attributedOrders', label: 'attributed orders', cell: (x) => format.count(x.attributedOrders) },
    { key: 'attributedRevenue', label: `attributed revenue (${r.currency})`, cell: (x) => format.money(x.attributedRevenue) },
  ];
  return section(
    'sends',
    'What was sent, and what it drew',
    'Each group of bars is one campaign (or journey, or journey step): emails sent in the period, delivered, opened, clicked, bounced and complained about. "n/a" in the table means the figure is not recorded per send, not that it was zero. Opens include machine opens (Apple Mail Privacy Protection fetches every image), so they overstate reading; clicks are the firmer signal.',
    svg,
    [table('sends', 'Sends per campaign, journey and step', columns, rows, (x) => x.key), `<p class="note">${escapeHtml(r.attribution.note)}</p>`],
  );
}

/** One horizontal line per category row, from its interval's lower to its upper end (a forest plot's whiskers). */
function intervalSeries(name: string, intervals: readonly { lower: number; upper: number }[]): CustomSeriesOption {
  return {
    type: 'custom',
    name,
    itemStyle: { color: '#37474f' },
    renderItem: (_params, api) => {
      const low = api.coord([api.value(1), api.value(0)]);
      const high = api.coord([api.value(2), api.value(0)]);
      return { type: 'line', shape: { x1: low[0]!, y1: low[1]!, x2: high[0]!, y2: high[1]! }, style: { stroke: '#37474f', lineWidth: 2 } };
    },
    encode: { x: [1, 2], y: 0 },
    data: intervals.map((x, i) => [i, x.lower, x.upper]),
  };
}

function upliftSection(r: CrmReport): string {
  const u = r.uplift;
  if (!u.available) return section('uplift', 'Did it work? Uplift against the holdout', escapeHtml(u.note), undefined, []);
  const rows = u.rows;
  const labels = rows.map((x) => x.label);
  const svg = renderChart(
    {
      title: { text: 'Conversion uplift with 95% intervals (forest plot)', left: 'center', textStyle: { fontSize: 14 } },
      grid: { top: 50, left: 200, right: 40, bottom: 50 },
      xAxis: { type: 'value', name: 'mailed − held out (percentage points)', nameLocation: 'middle', nameGap: 28, axisLabel: { formatter: (v: number) => `${(v * 100).toFixed(1)}` } },
      yAxis: { type: 'category', data: labels, inverse: true },
      series: [
        intervalSeries('95% interval', rows.map((x) => x.conversionDifference)),
        {
          type: 'scatter',
          name: 'estimate',
          symbolSize: 10,
          data: rows.map((x, i) => ({ value: [x.conversionDifference.estimate, i], itemStyle: { color: x.significant ? '#2e7d32' : '#9e9e9e' } })),
          markLine: { silent: true, symbol: 'none', label: { show: false }, data: [{ xAxis: 0 }], lineStyle: { color: '#e53935', type: 'dashed' } },
        },
      ],
    },
    WIDTH,
    Math.max(220, 90 + rows.length * 34),
  );
  const columns: Column<CrmReport['uplift']['rows'][number]>[] = [
    { key: 'label', label: 'row', cell: (x) => x.label },
    { key: 'treatedCustomers', label: 'mailed', cell: (x) => format.count(x.treatedCustomers) },
    { key: 'heldOutCustomers', label: 'held out', cell: (x) => format.count(x.heldOutCustomers) },
    { key: 'treatedConversionRate', label: 'conversion mailed', cell: (x) => format.rate(x.treatedConversionRate) },
    { key: 'heldOutConversionRate', label: 'conversion held out', cell: (x) => format.rate(x.heldOutConversionRate) },
    { key: 'conversionDifference', label: 'difference [95% CI]', cell: (x) => `${format.points(x.conversionDifference.estimate)} [${format.points(x.conversionDifference.lower)}, ${format.points(x.conversionDifference.upper)}]` },
    { key: 'incrementalOrders', label: 'incremental orders [95% CI]', cell: (x) => `${format.money(x.incrementalOrders.estimate)} [${format.money(x.incrementalOrders.lower)}, ${format.money(x.incrementalOrders.upper)}]` },
    { key: 'revenueDifference', label: `revenue / customer diff (${r.currency}) [95% CI]`, cell: (x) => (x.revenueDifference ? `${format.money(x.revenueDifference.estimate)} [${format.money(x.revenueDifference.lower)}, ${format.money(x.revenueDifference.upper)}]` : 'n/a') },
    { key: 'incrementalRevenue', label: `incremental revenue (${r.currency}) [95% CI]`, cell: (x) => (x.incrementalRevenue ? `${format.money(x.incrementalRevenue.estimate)} [${format.money(x.incrementalRevenue.lower)}, ${format.money(x.incrementalRevenue.upper)}]` : 'n/a') },
    { key: 'adjustedPValue', label: 'p (Holm)', cell: (x) => format.p(x.adjustedPValue) },
    { key: 'significant', label: 'verdict', numeric: false, cell: (x) => (x.significant ? 'significant' : 'not significant') },
  ];
  const ab = u.abTests.length
    ? table(
        'ab-tests',
        'A/B variants compared with each other (mailed customers only)',
        [
          { key: 'campaignId', label: 'campaign', cell: (x: CrmReport['uplift']['abTests'][number]) => x.campaignId },
          { key: 'arms', label: 'variants: conversions / customers', numeric: false, cell: (x) => x.arms.map((a) => `${a.variant} ${a.conversions}/${a.customers}`).join('; ') },
          { key: 'verdict', label: 'verdict', numeric: false, cell: (x) => (x.winner ? `winner: ${x.winner}` : x.verdict === 'too-few' ? 'too few to call' : 'no winner') },
          { key: 'why', label: 'why', numeric: false, cell: (x) => x.why },
        ],
        u.abTests,
        (x) => x.campaignId,
      )
    : '';
  return section(
    'uplift',
    'Did it work? Uplift against the holdout',
    `Each line is one journey, step, campaign or variant: the dot is how much more often mailed customers ordered within ${u.conversionDays} days than held-out customers (percentage points), the line its 95% interval (each row's own, unadjusted). A green dot is significant after the Holm correction over all rows; a grey one is not, so its difference may be chance: a line that crosses the dashed zero line is never significant, and with many rows one that only just misses zero may not be either. ${escapeHtml(u.method)}`,
    svg,
    [table('uplift', 'Uplift per row (treated vs held out)', columns, rows, (x) => x.key), ab, `<p class="note">${escapeHtml(u.note)}</p>`],
  );
}

const LAST_TOUCH_VERDICT: Record<CrmReport['uplift']['lastTouch'][number]['verdict'], string> = {
  overstates: 'last touch overstates: above the whole interval',
  'within-interval': 'cannot tell: last touch is inside the interval',
  understates: 'last touch understates: below the whole interval',
};

function lastTouchSection(r: CrmReport): string {
  const rows = r.uplift.lastTouch;
  const caption = `What last touch credits each journey and campaign with (the bar) against the revenue its holdout shows the emails caused (the dot, with its 95% interval as the line). Last touch counts every order that follows a click within ${r.attribution.windows.clickDays} days or a human open within ${r.attribution.windows.humanOpenDays} day(s), including orders the customer would have placed anyway; the holdout compares mailed customers with customers who were not mailed. Where the bar reaches past the whole line, last touch claims more than the emails can have caused; where the bar ends inside the line, this sample cannot tell the two apart.`;
  if (!rows.length) return section('last-touch', 'Last touch against the holdout', `${caption} No journey or campaign has both figures in this period.`, undefined, []);
  const svg = renderChart(
    {
      title: { text: `Revenue credited by last touch vs caused (${r.currency})`, left: 'center', textStyle: { fontSize: 14 } },
      legend: { bottom: 0, data: ['last touch', 'holdout: caused (95% interval)'] },
      grid: { top: 50, left: 200, right: 40, bottom: 70 },
      xAxis: { type: 'value', name: r.currency, nameLocation: 'middle', nameGap: 28 },
      yAxis: { type: 'category', data: rows.map((x) => x.label), inverse: true },
      series: [
        { type: 'bar', name: 'last touch', barWidth: 14, itemStyle: { color: '#90caf9' }, data: rows.map((x) => x.lastTouchRevenue) },
        intervalSeries('holdout: caused (95% interval)', rows.map((x) => x.incrementalRevenue)),
        { type: 'scatter', name: 'holdout: caused (95% interval)', symbolSize: 10, itemStyle: { color: '#37474f' }, data: rows.map((x, i) => [x.incrementalRevenue.estimate, i]) },
      ],
    },
    WIDTH,
    Math.max(240, 110 + rows.length * 34),
  );
  const columns: Column<CrmReport['uplift']['lastTouch'][number]>[] = [
    { key: 'label', label: 'journey or campaign', cell: (x) => x.label },
    { key: 'lastTouchRevenue', label: `last touch (${r.currency})`, cell: (x) => format.money(x.lastTouchRevenue) },
    { key: 'incrementalRevenue', label: `caused, per the holdout (${r.currency}) [95% CI]`, cell: (x) => `${format.money(x.incrementalRevenue.estimate)} [${format.money(x.incrementalRevenue.lower)}, ${format.money(x.incrementalRevenue.upper)}]` },
    { key: 'verdict', label: 'verdict', numeric: false, cell: (x) => LAST_TOUCH_VERDICT[x.verdict] },
  ];
  return section('last-touch', 'Last touch against the holdout', caption, svg, [table('last-touch', 'Last-touch revenue beside the holdout estimate', columns, rows, (x) => x.key)]);
}

const originLabel = (o: string) => (o === 'new' ? 'joined' : o);

function flowSection(r: CrmReport): string {
  const l = r.lifecycle;
  const flows = l.origins.flatMap((origin, i) => l.stages.map((stage, j) => ({ from: origin, to: stage, customers: l.matrix[i]![j]! }))).filter((f) => f.customers > 0);
  const nodes = [...new Set(flows.flatMap((f) => [`${originLabel(f.from)} (start)`, `${f.to} (end)`]))];
  const svg = renderChart({
    title: { text: 'Where customers moved between lifecycle stages', left: 'center', textStyle: { fontSize: 14 } },
    series: [
      {
        type: 'sankey',
        top: 40,
        bottom: 20,
        left: 20,
        right: 120,
        nodeAlign: 'left',
        data: nodes.map((name) => ({ name, itemStyle: { color: STAGE_COLOURS[name.split(' ')[0] === 'joined' ? 'new' : name.split(' ')[0]!] ?? '#777' } })),
        links: flows.map((f) => ({ source: `${originLabel(f.from)} (start)`, target: `${f.to} (end)`, value: f.customers })),
        lineStyle: { color: 'gradient', opacity: 0.4 },
        label: { fontSize: 11 },
      },
    ],
  });
  const flowTable = table(
    'flows',
    'Customers by stage at the start and at the end of the period',
    [
      { key: 'from', label: 'stage at start', cell: (f: (typeof flows)[number]) => originLabel(f.from) },
      { key: 'to', label: 'stage at end', numeric: false, cell: (f) => f.to },
      { key: 'customers', label: 'customers', cell: (f) => format.count(f.customers) },
    ],
    flows,
    (f) => `${f.from}>${f.to}`,
  );
  const rates = table(
    'lifecycle-rates',
    'Retention, churn and upgrade',
    [
      { key: 'measure', label: 'measure', cell: (x: { key: string; label: string; value: string }) => x.label },
      { key: 'value', label: 'value', cell: (x) => x.value },
    ],
    [
      { key: 'base', label: 'customers at the start', value: format.count(l.base) },
      { key: 'activeAtStart', label: 'of them buying customers (exploring, growing, stable, declining)', value: format.count(l.activeAtStart) },
      { key: 'retentionRate', label: 'retention rate: buying at the start, still in a buying stage (exploring, growing, stable) at the end', value: format.rate(l.retentionRate) },
      { key: 'churnRate', label: 'churn rate: buying at the start, lapsed at the end', value: format.rate(l.churnRate) },
      { key: 'upgradeRate', label: 'upgrade rate: of all customers at the start, moved up a stage', value: format.rate(l.upgradeRate) },
    ],
    (x) => x.key,
  );
  return section(
    'flow',
    'Lifecycle flow',
    'Left: each customer\'s stage when the period began ("joined": signed up during it). Right: their stage when it ended. The width of each band is the number of customers who moved that way; a band between the same stage means they stayed. Bands into "lapsed" are customers lost; bands towards "growing" and "stable" are relationships deepening.',
    svg,
    [flowTable, rates],
  );
}

function matrixSection(r: CrmReport): string {
  const l = r.lifecycle;
  const data = l.origins.flatMap((_, i) => l.stages.map((__, j) => [j, i, l.matrix[i]![j]!]));
  const max = Math.max(1, ...data.map((d) => d[2]!));
  const svg = renderChart({
    title: { text: 'Stage migration matrix', left: 'center', textStyle: { fontSize: 14 } },
    grid: { top: 50, left: 100, right: 40, bottom: 90 },
    xAxis: { type: 'category', data: l.stages, name: 'stage at end', nameLocation: 'middle', nameGap: 30 },
    yAxis: { type: 'category', data: l.origins.map(originLabel), name: 'at start', inverse: true },
    visualMap: { min: 0, max, calculable: false, orient: 'horizontal', left: 'center', bottom: 5, inRange: { color: ['#f5f5f5', '#1565c0'] } },
    series: [{ type: 'heatmap', data, label: { show: true } }],
  });
  const columns: Column<number>[] = [{ key: 'origin', label: 'at start ↓ / at end →', cell: (i) => originLabel(l.origins[i]!) }, ...l.stages.map((stage, j) => ({ key: stage, label: stage, cell: (i: number) => format.count(l.matrix[i]![j]!) }))];
  return section(
    'matrix',
    'Migration matrix',
    'The same movements as a grid: each row is the stage at the start, each column the stage at the end, each cell the number of customers. The diagonal is customers who stayed where they were; cells right of the diagonal in the growing and stable columns are upgrades, the lapsed column is churn.',
    svg,
    [table('matrix', 'Customers by stage at start (rows) and at end (columns)', columns, l.origins.map((_, i) => i), (i) => l.origins[i]!)],
  );
}

function cohortSection(r: CrmReport): string {
  const c = r.cohorts;
  const data = c.rows.flatMap((row, i) => row.shares.flatMap((s, k) => (s === null ? [] : [[k, i, Math.round(s * 1000) / 10]])));
  const svg = renderChart({
    title: { text: 'First-purchase cohorts: share still buying', left: 'center', textStyle: { fontSize: 14 } },
    grid: { top: 50, left: 80, right: 30, bottom: 90 },
    xAxis: { type: 'category', data: c.offsets.map((k) => `+${k}`), name: 'months after first purchase', nameLocation: 'middle', nameGap: 30 },
    yAxis: { type: 'category', data: c.rows.map((row) => row.cohort), inverse: true },
    visualMap: { min: 0, max: 100, orient: 'horizontal', left: 'center', bottom: 5, text: ['100%', '0%'], inRange: { color: ['#fff3e0', '#e65100'] } },
    series: [{ type: 'heatmap', data }],
  });
  const columns: Column<CrmReport['cohorts']['rows'][number]>[] = [
    { key: 'cohort', label: 'first purchase in', cell: (x) => x.cohort },
    { key: 'customers', label: 'customers', cell: (x) => format.count(x.customers) },
    ...c.offsets.map((k) => ({ key: `m${k}`, label: `+${k}`, cell: (x: CrmReport['cohorts']['rows'][number]) => (x.shares[k] === null ? '' : format.rate(x.shares[k]!)) })),
  ];
  return section(
    'cohorts',
    'Cohorts: who keeps buying',
    'Each row is the customers whose first order fell in that month; each column a month after it. A cell is the share of the cohort whose latest order so far is in that month or later: still buying then. Darker is better. Read down a column to compare how well newer cohorts hold up against older ones at the same age.',
    svg,
    [table('cohorts', 'Share of each first-purchase cohort still buying, by month after the first purchase', columns, c.rows, (x) => x.cohort)],
  );
}

function lorenzSection(r: CrmReport): string {
  const { spend, clv } = r.value;
  const svg = renderChart({
    title: { text: 'Value concentration (Lorenz curves)', left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0, itemGap: 24 },
    grid: { top: 50, left: 60, right: 30, bottom: 80 },
    xAxis: { type: 'value', min: 0, max: 1, name: 'share of customers (least valuable first)', nameLocation: 'middle', nameGap: 30 },
    yAxis: { type: 'value', min: 0, max: 1, name: 'share of value' },
    series: [
      { name: 'equal shares', type: 'line', symbol: 'none', lineStyle: { type: 'dashed', color: '#9e9e9e' }, data: [[0, 0], [1, 1]] },
      { name: 'spend so far', type: 'line', data: spend.lorenz.map((p) => [p.customerShare, p.valueShare]) },
      ...(clv ? [{ name: 'predicted CLV', type: 'line' as const, data: clv.lorenz.map((p) => [p.customerShare, p.valueShare]) }] : []),
    ],
  });
  const points = spend.lorenz.map((p, i) => ({ customerShare: p.customerShare, spend: p.valueShare, clv: clv?.lorenz[i]?.valueShare ?? null }));
  const columns: Column<(typeof points)[number]>[] = [
    { key: 'customerShare', label: 'least valuable customers', cell: (x) => format.rate(x.customerShare) },
    { key: 'spend', label: 'their share of spend', cell: (x) => format.rate(x.spend) },
    { key: 'clv', label: 'their share of predicted CLV', cell: (x) => format.rate(x.clv) },
  ];
  const top = `The top 20% of customers hold ${format.rate(spend.top20Share)} of spend${clv ? ` and ${format.rate(clv.top20Share)} of predicted CLV` : ''}.`;
  return section(
    'lorenz',
    'Value concentration: the 80/20 curve',
    `Customers are lined up from least to most valuable; the curve shows what share of all value the first x% of them hold. The further the curve sags below the dashed line of equal shares, the more value rests on a few customers. ${escapeHtml(top)}`,
    svg,
    [table('lorenz', 'Lorenz curve points', columns, points, (x) => String(x.customerShare)), `<p class="note" data-top20-spend="${spend.top20Share ?? ''}">${escapeHtml(top)}</p>`],
  );
}

function clvSection(r: CrmReport): string {
  const rows = r.value.byStage;
  const svg = renderChart({
    title: { text: 'Customer value by lifecycle stage', left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0, itemGap: 24 },
    grid: { top: 50, left: 70, right: 70, bottom: 60 },
    xAxis: { type: 'category', data: rows.map((x) => x.stage) },
    yAxis: [{ type: 'value', name: r.currency }, { type: 'value', name: 'customers' }],
    series: [
      { name: 'average spend so far', type: 'bar', data: rows.map((x) => x.averageSpend) },
      { name: 'average predicted CLV', type: 'bar', data: rows.map((x) => x.averagePredictedClv ?? 0) },
      { name: 'customers', type: 'line', yAxisIndex: 1, data: rows.map((x) => x.customers) },
    ],
  });
  const columns: Column<(typeof rows)[number]>[] = [
    { key: 'stage', label: 'stage', cell: (x) => x.stage },
    { key: 'customers', label: 'customers', cell: (x) => format.count(x.customers) },
    { key: 'averageSpend', label: `average spend (${r.currency})`, cell: (x) => format.money(x.averageSpend) },
    { key: 'customersWithClv', label: 'with a CLV prediction', cell: (x) => format.count(x.customersWithClv) },
    { key: 'averagePredictedClv', label: `average predicted CLV (${r.currency})`, cell: (x) => format.money(x.averagePredictedClv) },
    { key: 'totalPredictedClv', label: `total predicted CLV (${r.currency})`, cell: (x) => format.money(x.totalPredictedClv) },
  ];
  return section(
    'clv',
    'Value by stage',
    'Bars: what the average customer in each stage has spent so far and is predicted to spend over the next year (CLV, from the BG/NBD and Gamma-Gamma models). Line: how many customers are in the stage. A stage with many customers and high predicted value is where effort pays; a high predicted CLV in "declining" is value at risk.',
    svg,
    [table('clv', 'Customers, spend and predicted CLV by stage', columns, rows, (x) => x.stage)],
  );
}

function deliverabilitySection(r: CrmReport): string {
  const d = r.deliverability;
  const days = d.days;
  const svg = renderChart({
    title: { text: 'Deliverability per sending day', left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0, itemGap: 24 },
    grid: { top: 50, left: 70, right: 80, bottom: 80 },
    xAxis: { type: 'category', data: days.map((x) => x.day) },
    yAxis: [
      { type: 'value', name: 'hard-bounce rate', min: 0, max: (v: { max: number }) => Math.max(v.max, d.bounceThreshold) * 1.25, axisLabel: { formatter: (v: number) => `${(v * 100).toFixed(1)}%` } },
      { type: 'value', name: 'complaint rate', min: 0, max: (v: { max: number }) => Math.max(v.max, d.complaintThreshold) * 1.25, axisLabel: { formatter: (v: number) => `${(v * 100).toFixed(3)}%` }, splitLine: { show: false } },
    ],
    series: [
      { name: 'hard-bounce rate', type: 'line', color: '#1565c0', data: days.map((x) => x.bounceRate) },
      { name: 'complaint rate', type: 'line', yAxisIndex: 1, color: '#c62828', data: days.map((x) => x.complaintRate) },
      // The guardrail lines as series of their own: each on its rate's axis, and named in the legend.
      { name: `bounce guardrail ${format.rate(d.bounceThreshold)}`, type: 'line', symbol: 'none', color: '#1565c0', lineStyle: { type: 'dashed', width: 1 }, data: days.map(() => d.bounceThreshold) },
      { name: `complaint guardrail ${format.fineRate(d.complaintThreshold)}`, type: 'line', symbol: 'none', yAxisIndex: 1, color: '#c62828', lineStyle: { type: 'dashed', width: 1 }, data: days.map(() => d.complaintThreshold) },
    ],
  });
  const columns: Column<(typeof days)[number]>[] = [
    { key: 'day', label: 'sending day', cell: (x) => x.day },
    { key: 'sends', label: 'sends', cell: (x) => format.count(x.sends) },
    { key: 'hardBounces', label: 'hard bounces', cell: (x) => format.count(x.hardBounces) },
    { key: 'complaints', label: 'complaints', cell: (x) => format.count(x.complaints) },
    { key: 'bounceRate', label: 'bounce rate', cell: (x) => format.fineRate(x.bounceRate) },
    { key: 'complaintRate', label: 'complaint rate', cell: (x) => format.fineRate(x.complaintRate) },
  ];
  return section(
    'deliverability',
    'Deliverability over time',
    `Each point is one sending day: the share of its emails that hard-bounced (left scale) and drew a spam complaint (right scale). The dashed lines are the guardrail's pause thresholds (${escapeHtml(format.rate(d.bounceThreshold))} bounces, ${escapeHtml(format.fineRate(d.complaintThreshold))} complaints), set below the rates at which Amazon SES reviews an account. A line crossing its threshold on a day with enough sends pauses sending.`,
    svg,
    [table('deliverability', 'Sends, hard bounces and complaints per sending day', columns, days, (x) => x.day)],
  );
}

function summaryTable(r: CrmReport): string {
  const s = r.summary;
  return table(
    'summary',
    'In short',
    [
      { key: 'measure', label: 'measure', cell: (x: { key: string; label: string; value: string }) => x.label },
      { key: 'value', label: 'value', cell: (x) => x.value },
    ],
    [
      { key: 'customers', label: 'customers', value: format.count(s.customers) },
      { key: 'emailsSent', label: 'emails sent in the period', value: format.count(s.emailsSent) },
      { key: 'attributedOrders', label: 'orders credited to an email (last touch)', value: format.count(s.attributedOrders) },
      { key: 'attributedRevenue', label: `revenue credited to an email (${r.currency}, last touch)`, value: format.money(s.attributedRevenue) },
      { key: 'retentionRate', label: 'retention rate', value: format.rate(s.retentionRate) },
      { key: 'churnRate', label: 'churn rate', value: format.rate(s.churnRate) },
      { key: 'upgradeRate', label: 'upgrade rate', value: format.rate(s.upgradeRate) },
    ],
    (x) => x.key,
  );
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:960px;padding:1rem 1.5rem;color:#212121;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #e0e0e0;padding-bottom:.2rem}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}figcaption{font-size:.92rem;color:#424242;margin-top:.3rem}
.table-wrap{overflow-x:auto}table{border-collapse:collapse;font-size:.85rem;margin:.6rem 0;min-width:50%}caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #e0e0e0;padding:.25rem .5rem;text-align:left;vertical-align:top}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}thead th{background:#f5f5f5}
.note{font-size:.9rem;color:#455a64}.meta{color:#616161;font-size:.9rem}
`;

/** The whole page. */
export function renderReportHtml(r: CrmReport): string {
  const period = `${r.period.from.slice(0, 10)} to ${r.period.to.slice(0, 10)}`;
  const sections = [sendsSection(r), upliftSection(r), lastTouchSection(r), flowSection(r), matrixSection(r), cohortSection(r), lorenzSection(r), clvSection(r), deliverabilitySection(r)];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CRM report ${escapeHtml(period)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>CRM report</h1><p class="meta">Period ${escapeHtml(period)} (to is exclusive) · ${escapeHtml(r.source)} · generated ${escapeHtml(r.generatedAt)}</p></header>
<main>
${summaryTable(r)}
${sections.join('\n')}
</main>
</body>
</html>
`;
}
