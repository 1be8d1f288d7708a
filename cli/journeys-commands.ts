/**
 * `lifecycle-mailer journeys validate | show ID | simulate ID --events FILE [--json]`: the
 * marketer's tools for journeys/*.yaml. None needs MJML or a server.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadCampaigns, loadMailerConfig } from '#authoring/campaign-files.ts';
import type { ProjectPaths } from '#authoring/catalog-files.ts';
import { didYouMean, loadJourneys } from '#authoring/journey-files.ts';
import { templateNames } from '#authoring/template-files.ts';
import type { Journey } from '#domain/journey.ts';
import { journeyNodes } from '#domain/journey.ts';
import { journeyMermaid } from '#domain/journey-mermaid.ts';
import { UsageError } from './errors.ts';
import { formatTimeline, parseSimulationScript, SimulationInputError, simulateJourney } from './journey-simulator.ts';

/** The config, campaigns and journeys, validated (templates only by name: no MJML here). */
export function loadJourneyProject(paths: ProjectPaths) {
  const config = loadMailerConfig(paths.config);
  const campaigns = loadCampaigns(paths.campaigns, templateNames(paths.templates));
  const journeys = loadJourneys(paths.journeys, campaigns);
  return { config, campaigns, journeys };
}

function journeyById(journeys: readonly Journey[], id: string, dir: string): Journey {
  const journey = journeys.find((j) => j.id === id);
  if (journey) return journey;
  const ids = journeys.map((j) => j.id);
  // A journey id is an argument: an unknown one is a usage error (exit 2), as an unknown campaign is.
  throw new UsageError(`unknown journey '${id}' in ${dir} (journeys: ${ids.join(', ') || 'none'})${didYouMean(id, ids)}`);
}

export function registerJourneyCommands(program: Command, paths: () => ProjectPaths): void {
  const journeys = program.command('journeys').description('check, draw and simulate journeys (journeys/*.yaml)');
  journeys
    .command('validate')
    .description('validate every journey file against the campaigns: all problems of all files at once')
    .action(() => {
      const { journeys: all } = loadJourneyProject(paths());
      const steps = all.reduce((s, j) => s + journeyNodes(j).size, 0);
      process.stdout.write(`ok: ${all.length} journeys, ${steps} steps\n`);
    });
  journeys
    .command('show <journeyId>')
    .description('print a journey as a Mermaid flowchart')
    .action((id: string) => {
      const p = paths();
      const { journeys: all } = loadJourneyProject(p);
      process.stdout.write(journeyMermaid(journeyById(all, id, p.journeys)));
    });
  journeys
    .command('simulate <journeyId>')
    .description('run one customer through a journey on a simulated clock and print the timeline')
    .requiredOption('--events <file>', 'JSON lines: {"customer": {...}} first (optional), then {"at", "type", "detail"} or {"at", "email": "opened" | "clicked"}')
    .option('--json', 'print {"journey", "timeline": [...]} as JSON')
    .action((id: string, o: { events: string; json?: boolean }) => {
      const p = paths();
      const { config, journeys: all } = loadJourneyProject(p);
      const journey = journeyById(all, id, p.journeys);
      let text: string;
      try {
        text = readFileSync(o.events, 'utf8');
      } catch (error) {
        throw new SimulationInputError(o.events, [`cannot read: ${(error as Error).message}`]);
      }
      const result = simulateJourney(journey, config, parseSimulationScript(text, o.events));
      process.stdout.write(o.json ? `${JSON.stringify({ journey: result.journey, timeline: result.timeline }, null, 2)}\n` : formatTimeline(result));
    });
}
