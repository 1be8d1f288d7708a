import type { Clock } from '#domain/clock.ts';

/** The replay's clock: handlers read it as "now", the replay moves it forward. */
export class SimulatedClock implements Clock {
  private current: number;
  constructor(start: string | Date) {
    this.current = new Date(start).getTime();
  }
  now(): string {
    return new Date(this.current).toISOString();
  }
  get epochMs(): number {
    return this.current;
  }
  set(at: string | number | Date): void {
    this.current = new Date(at).getTime();
  }
}
