import type { Engagement } from './customer-profile.ts';

/** Points an interaction earns before decay. A click shows intent; an open much less. */
export const ENGAGEMENT_POINTS = { click: 3, open: 1, machineOpen: 0.1 } as const;
/** Engagement halves every 60 days without new interactions. */
export const ENGAGEMENT_HALF_LIFE_DAYS = 60;

export type Interaction =
  | { kind: 'open'; at: string; userAgent: string; ipAddress: string }
  | { kind: 'click'; at: string };

/**
 * Opens fetched by a privacy proxy rather than a person: Apple Mail Privacy Protection
 * preloads every image from Apple's 17.0.0.0/8 network with a bare "Mozilla/5.0" agent.
 */
export function isMachineOpen(userAgent: string, ipAddress: string): boolean {
  const agent = userAgent.trim();
  return ipAddress.startsWith('17.') || agent === 'Mozilla/5.0' || agent === '' || /bot|preview|scanner|prefetch/i.test(agent);
}

export function decayedScore(score: number, from: string, to: string): number {
  const days = Math.max(0, (Date.parse(to) - Date.parse(from)) / 86_400_000);
  return score * Math.pow(0.5, days / ENGAGEMENT_HALF_LIFE_DAYS);
}

/** Folds one open or click into the engagement record, decaying what was there first. */
export function recordInteraction(current: Engagement | undefined, interaction: Interaction): Engagement {
  const base: Engagement = current ?? { score: 0, opens: 0, machineOpens: 0, clicks: 0, updatedAt: interaction.at };
  const at = interaction.at > base.updatedAt ? interaction.at : base.updatedAt;
  const score = decayedScore(base.score, base.updatedAt, at);
  if (interaction.kind === 'click') {
    return { ...base, score: score + ENGAGEMENT_POINTS.click, clicks: base.clicks + 1, lastClickAt: interaction.at, updatedAt: at };
  }
  if (isMachineOpen(interaction.userAgent, interaction.ipAddress)) {
    return { ...base, score: score + ENGAGEMENT_POINTS.machineOpen, machineOpens: base.machineOpens + 1, updatedAt: at };
  }
  return { ...base, score: score + ENGAGEMENT_POINTS.open, opens: base.opens + 1, lastOpenAt: interaction.at, updatedAt: at };
}
