/**
 * How the SES max send rate is shared out. The send queue's event source runs at most
 * `sendConcurrency` batches at once, and each function instance paces itself to its share,
 * so together they never exceed the account's rate.
 */
export const sendConcurrency = (maxSendRate: number) => Math.max(2, Math.ceil(maxSendRate / 10));

/** Messages per second one send function instance may send. */
export const instanceSendRate = (maxSendRate: number) => maxSendRate / sendConcurrency(maxSendRate);
