/** The time source. Lambdas use the system clock; the local replay passes a simulated one. */
export interface Clock {
  /** Now, as an ISO-8601 UTC instant. */
  now(): string;
}

export const systemClock: Clock = { now: () => new Date().toISOString() };
