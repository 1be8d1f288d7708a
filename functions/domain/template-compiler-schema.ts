import { z } from 'zod';

/** A template after MJML: HTML and plain text that still hold Handlebars fields. Built once per template. */
export const CompiledTemplate = z.object({
  name: z.string(),
  html: z.string(),
  text: z.string(),
});
export type CompiledTemplate = z.infer<typeof CompiledTemplate>;
