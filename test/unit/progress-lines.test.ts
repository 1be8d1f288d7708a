import { describe, expect, it } from 'vitest';
import { progressLines } from '#cli/run/run-job.ts';

describe('progress without a terminal', () => {
  it('writes one line per tenth of a phase with the elapsed time, then done', () => {
    const lines: string[] = [];
    let clock = 0;
    const progress = progressLines((line) => lines.push(line), () => clock);
    progress.phase('replaying days', 56);
    for (let day = 1; day <= 56; day++) {
      clock += 60_000;
      progress.tick();
    }
    progress.done();
    expect(lines[0]).toBe('replaying days (56)…');
    const steps = lines.slice(1, -1);
    expect(steps).toHaveLength(9);
    expect(steps[0]).toBe('replaying days: 6/56, 360 s');
    expect(steps.at(-1)).toBe('replaying days: 51/56, 3060 s');
    expect(lines.at(-1)).toBe('replaying days: done, 3360 s');
  });

  it('starts counting again for each phase and says nothing for an empty one', () => {
    const lines: string[] = [];
    const progress = progressLines((line) => lines.push(line), () => 0);
    progress.phase('importing history', 0);
    progress.done();
    progress.phase('replaying days', 2);
    progress.tick();
    progress.tick();
    progress.done();
    expect(lines).toEqual(['importing history (0)…', 'importing history: done, 0 s', 'replaying days (2)…', 'replaying days: 1/2, 0 s', 'replaying days: done, 0 s']);
  });
});
