/** The journey engine: steps per second through advanceJourney for every shipped journey, entered by many customers. */
import { loadJourneyProject } from '#cli/journeys-commands.ts';
import { projectPaths } from '#authoring/catalog-files.ts';
import { newProfile } from '#domain/customer-profile.ts';
import { advanceJourney, JourneyEntry, type JourneyInput } from '#domain/journey-engine.ts';

export function benchJourneys(root: string, entries: number) {
  const project = loadJourneyProject(projectPaths(root));
  const at = '2026-03-03T15:00:00.000Z';
  const inputs: JourneyInput[] = [
    { kind: 'shop-event', at, event: 'Customer Registered', key: 'registered' },
    { kind: 'entered', at } as JourneyInput,
  ];
  const run = (roundTrip: boolean) => {
    let steps = 0;
    const t = performance.now();
    for (let i = 0; i < entries; i++) {
      const journey = project.journeys[i % project.journeys.length]!;
      const p = newProfile(`c${i}`, '2026-01-01T00:00:00.000Z');
      const profile = { ...p, email: `c${i}@example.com`, timeZone: 'America/New_York', consent: { ...p.consent, marketing: true } };
      for (const input of inputs) {
        const outcome = advanceJourney({ journey, profile, config: project.config }, undefined, input);
        if (outcome.outcome !== 'advanced') continue;
        steps += outcome.entry.history.length;
        if (roundTrip) JourneyEntry.parse(JSON.parse(JSON.stringify(outcome.entry)));
        break;
      }
    }
    return steps / ((performance.now() - t) / 1000);
  };
  run(false);
  return { entries, stepsPerSecond: run(false), roundTripStepsPerSecond: run(true) };
}
