import { z } from 'zod';
import { Campaign } from './campaign.ts';
import { Journey } from './journey.ts';
import { MailerConfig } from './mailer-config.ts';
import { CompiledTemplate } from './template-compiler-schema.ts';

/**
 * Everything marketers edit, validated and compiled: the config, the campaigns and the
 * templates after MJML. Built once (at deploy, or when the local runtime starts) and read
 * by the functions, which therefore never need mjml or the YAML files.
 */
export const Catalog = z.object({
  config: MailerConfig,
  campaigns: z.array(Campaign),
  templates: z.array(CompiledTemplate),
  journeys: z.array(Journey).default([]),
});
export type Catalog = z.infer<typeof Catalog>;

export const campaignsById = (catalog: Catalog) => new Map(catalog.campaigns.map((c) => [c.id, c]));
