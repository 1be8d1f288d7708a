/**
 * The journey function's entry point while the journey runtime is not built: the stack already
 * has its table, queue, schedule group and routes. Journeys are not run yet (the campaigns they
 * will replace still send), so an input is acknowledged and dropped: nothing depends on it, and
 * refusing it would only fill the dead-letter queues and raise their alarms.
 */
export const handler = async (_event: unknown): Promise<{ batchItemFailures: [] }> => {
  console.info(JSON.stringify({ level: 'INFO', message: 'journey input ignored: journeys are not run yet' }));
  return { batchItemFailures: [] };
};
