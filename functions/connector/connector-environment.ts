import { z } from 'zod';
import { parseOrThrow } from '#domain/invalid-input-error.ts';

/** The connector functions' configuration, read once per cold start. */
export const ConnectorEnvironment = z.object({
  SHOP_CONNECTOR_TABLE: z.string().min(1),
  FAILED_EVENTS_TABLE: z.string().min(1),
  SHOP_EVENT_BUS_NAME: z.string().min(1),
  /** The Secrets Manager secret with the signing secrets (HTTPS webhooks only). */
  WEBHOOK_SECRET_ARN: z.string().min(1).optional(),
});
export type ConnectorEnvironment = z.infer<typeof ConnectorEnvironment>;

let cached: ConnectorEnvironment | undefined;
export const connectorEnvironment = (): ConnectorEnvironment => (cached ??= parseOrThrow(ConnectorEnvironment, process.env, 'environment'));
