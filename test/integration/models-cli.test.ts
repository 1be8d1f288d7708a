/** `models fit` on the CDNOW sample (the data ships with the repository, under data/cdnow). */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runModelsFit } from '#cli/customer-value-report.ts';

const CDNOW_SAMPLE = fileURLToPath(new URL('../../data/cdnow/CDNOW_sample.txt', import.meta.url));
/** Fader, Hardie & Lee (2005), CDNOW sample, 39-week calibration ending 1997-09-30. */
const PUBLISHED = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const SCORES_HEADER = 'id,x,t_x,T,p_alive,expected_1,expected_39,expected_aov,clv';

describe('models fit on the CDNOW sample', () => {
  const dir = mkdtempSync(join(tmpdir(), 'models-fit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the sample', () => {
    expect(existsSync(CDNOW_SAMPLE), CDNOW_SAMPLE).toBe(true);
  });

  it('--json prints one object with the published BG/NBD estimates, --scores writes one row per customer', async () => {
    const scores = join(dir, 'scores.csv');
    let out = '';
    let warnings = '';
    await runModelsFit(
      { orders: CDNOW_SAMPLE, format: 'cdnow', calibrationEnd: '1997-09-30', json: true, scores },
      (text) => (out += text),
      (text) => (warnings += text),
    );
    expect(warnings).toBe('');
    expect(out.endsWith('\n')).toBe(true);
    expect(out.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(out) as {
      customers: number;
      bgnbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number; iterations: number; converged: boolean };
      gammaGamma: { p: number; q: number; v: number; customers: number; populationMeanAov: number };
      holdout?: unknown;
    };
    expect(report.customers).toBe(2357);
    for (const [name, published] of Object.entries(PUBLISHED)) {
      const fitted = report.bgnbd[name as keyof typeof PUBLISHED];
      expect(Math.abs(fitted - published) / published, `${name} = ${fitted}`).toBeLessThan(0.01);
    }
    expect(report.bgnbd.converged).toBe(true);
    expect(report.bgnbd.logLikelihood).toBeCloseTo(-9582.4, 0);
    expect(report.bgnbd.iterations).toBeGreaterThan(0);
    // Fader & Hardie (2013): p = 6.25, q = 3.74, v = 15.44 on the 946 repeat buyers.
    expect(report.gammaGamma.customers).toBe(946);
    expect(report.gammaGamma.p).toBeCloseTo(6.25, 1);
    expect(report.gammaGamma.q).toBeCloseTo(3.74, 1);
    expect(report.gammaGamma.v).toBeCloseTo(15.44, 0);
    expect(report.holdout).toBeUndefined();

    const lines = readFileSync(scores, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(2358);
    expect(lines[0]).toBe(SCORES_HEADER);
    expect(new Set(lines.slice(1).map((line) => line.split(',')[0])).size).toBe(2357);
    for (const line of lines.slice(1)) expect(line.split(',')).toHaveLength(9);
  });

  it('prints the readable block with the hold-out error and the fit time', async () => {
    let out = '';
    const { report } = await runModelsFit(
      { orders: CDNOW_SAMPLE, format: 'cdnow', calibrationEnd: '1997-09-30', holdoutEnd: '1998-06-30' },
      (text) => (out += text),
    );
    expect(out).toMatch(/customers\s+2,357/);
    expect(out).toMatch(/repeat purchases\s+2,457/);
    expect(out).toMatch(/r\s+0\.24\d\d/);
    expect(out).toMatch(/alpha\s+4\.41\d\d/);
    expect(out).toMatch(/converged: yes/);
    expect(out).toMatch(/customers used\s+946/);
    expect(out).toMatch(/Hold-out 1997-09-30 to 1998-06-30 \(39\.0 weeks\)/);
    expect(out).toMatch(/actual\s+1,882/);
    expect(out).toMatch(/MAE\s+\d\.\d{3}/);
    expect(out).toMatch(/RMSE\s+\d\.\d{3}/);
    expect(out).toMatch(/Fit took \d+/);
    expect(report.holdout?.periods).toBe(39);
    expect(report.holdout?.actualTotal).toBe(1882);
  });
});
