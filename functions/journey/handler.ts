/**
 * Placeholder so the CDK stack can bundle the journey function; the journeys-runtime branch
 * replaces this file with the real handler (createJourneyHandler). It refuses every event
 * loudly, so a deploy of the placeholder loses nothing: events retry and then dead-letter.
 */
export const handler = async (_event: unknown): Promise<never> => {
  throw new Error('journey handler not built yet: functions/journey/handler.ts is a placeholder');
};
