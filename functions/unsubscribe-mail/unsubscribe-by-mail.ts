import { z } from 'zod';
import { handleUnsubscribeRequest, type UnsubscribeDeps } from '../unsubscribe/unsubscribe.ts';

/**
 * The part of an SES receipt-rule Lambda action event this function reads: per received mail,
 * its decoded headers. The unsubscribe token travels in the subject the List-Unsubscribe
 * `mailto:` sets (`unsubscribe <token>`), so the body is never needed (nor stored).
 */
export const SesReceiptEvent = z.object({
  Records: z
    .array(
      z.object({
        eventSource: z.literal('aws:ses'),
        ses: z.object({
          mail: z.object({
            messageId: z.string().min(1),
            commonHeaders: z.object({ subject: z.string().optional() }),
          }),
          receipt: z.object({ recipients: z.array(z.string()) }),
        }),
      }),
    )
    .min(1),
});
export type SesReceiptEvent = z.infer<typeof SesReceiptEvent>;

export type MailUnsubscribeOutcome =
  | { messageId: string; outcome: 'unsubscribed' }
  /** The token was refused (forged, expired, unknown customer): nothing changed. */
  | { messageId: string; outcome: 'refused'; status: number }
  /** No `unsubscribe <token>` in the subject: not an unsubscribe request. */
  | { messageId: string; outcome: 'ignored' };

/** Token characters only (base64url payload `.` signature); clients may prefix `Re:` or wrap the subject. */
const TOKEN_IN_SUBJECT = /\bunsubscribe\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/i;

export const tokenFromSubject = (subject: string | undefined): string | undefined => subject?.match(TOKEN_IN_SUBJECT)?.[1];

/**
 * Unsubscribes the sender of each mail to the unsubscribe mailbox, exactly as the one-click
 * POST of the same token would (the unsubscribe use case, RFC 8058 semantics: that topic).
 * Never throws for a bad request: SES would retry it, and a retry cannot make a token valid.
 */
export async function unsubscribeByMail(raw: unknown, deps: UnsubscribeDeps): Promise<MailUnsubscribeOutcome[]> {
  const parsed = SesReceiptEvent.safeParse(raw);
  if (!parsed.success) {
    deps.logger.warn('unsubscribe mail event not understood', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    return [];
  }
  const outcomes: MailUnsubscribeOutcome[] = [];
  for (const record of parsed.data.Records) {
    const { messageId } = record.ses.mail;
    const token = tokenFromSubject(record.ses.mail.commonHeaders.subject);
    if (!token) {
      deps.logger.info('mail to the unsubscribe mailbox without a token ignored', { messageId });
      outcomes.push({ messageId, outcome: 'ignored' });
      continue;
    }
    const response = await handleUnsubscribeRequest(
      { method: 'POST', query: { token }, body: 'List-Unsubscribe=One-Click', contentType: 'application/x-www-form-urlencoded' },
      deps,
    );
    outcomes.push(response.status === 200 ? { messageId, outcome: 'unsubscribed' } : { messageId, outcome: 'refused', status: response.status });
  }
  return outcomes;
}
