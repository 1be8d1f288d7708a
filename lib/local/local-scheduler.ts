import { CronExpressionParser } from 'cron-parser';
import type { ScheduleRoute } from '../routes.ts';

export interface ScheduledFiring {
  at: number;
  route: ScheduleRoute;
}

/** The moments each schedule fires in [from, to), in its own time zone, oldest first. */
export function firingsBetween(routes: readonly ScheduleRoute[], from: number, to: number): ScheduledFiring[] {
  const firings: ScheduledFiring[] = [];
  for (const route of routes) {
    const expression = CronExpressionParser.parse(route.cron, { currentDate: new Date(from - 1), endDate: new Date(to), tz: route.timeZone });
    while (expression.hasNext()) {
      const at = expression.next().getTime();
      if (at >= from && at < to) firings.push({ at, route });
    }
  }
  // Segmentation before campaigns firing at the same moment, so campaigns see fresh stages.
  return firings.sort((a, b) => a.at - b.at || Number(b.route.input.recompute) - Number(a.route.input.recompute));
}
