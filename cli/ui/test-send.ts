import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { createSesClient } from '#adapters/aws-clients.ts';
import type { OutgoingEmail } from '#domain/compose-email.ts';
import type { ChildService } from '#lib/local/child-service.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#lib/local/dynamodb-local.ts';
import { startSesLocal, syncOutbox } from '#lib/local/ses-local.ts';

export const TEST_HEADER = 'X-Lifecycle-Test';
export const TEST_SUBJECT_PREFIX = '[TEST] ';
export const TEST_SENDS_PER_MINUTE = 5;

/**
 * A rendered email turned into a test: marked in a header and the subject, and stripped of
 * the configuration set and message tags, so SES reports no event on it and nothing (ledger,
 * caps, guardrail, reports) can count it.
 */
export function asTestEmail(email: OutgoingEmail, to: string): OutgoingEmail {
  return {
    ...email,
    to,
    subject: `${TEST_SUBJECT_PREFIX}${email.subject}`,
    headers: [...email.headers.filter((h) => h.name !== 'X-Send-Id'), { name: TEST_HEADER, value: 'true' }],
    tags: [],
    configurationSet: '',
  };
}

/** Whether one more test send may go now (at most `limit` in any minute), and if not, in how many seconds. */
export function testSendAllowed(sentAt: readonly number[], now: number, limit = TEST_SENDS_PER_MINUTE): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
  const recent = sentAt.filter((t) => now - t < 60_000).sort((a, b) => a - b);
  if (recent.length < limit) return { allowed: true };
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((recent[recent.length - limit]! + 60_000 - now) / 1000)) };
}

/**
 * Sends test emails through SES: locally the SES stand-in (started on the first test send,
 * its inbox stays open, and each message is copied to the outbox), or SES in the region.
 */
export class TestSender {
  private ses: SESv2Client | undefined;
  private local: ChildService | undefined;
  private readonly sent: number[] = [];
  private readonly copied = new Set<string>();

  constructor(private readonly target: { local: true; outboxDir: string } | { local: false; region?: string }) {}

  /** The local SES inbox (a web page), once started. */
  get inboxUrl(): string | undefined {
    return this.local ? `${this.local.endpoint}/` : undefined;
  }

  get sesEndpoint(): string | undefined {
    return this.local?.endpoint;
  }

  check(now: number) {
    return testSendAllowed(this.sent, now);
  }

  private async client(): Promise<SESv2Client> {
    if (this.ses) return this.ses;
    if (this.target.local) {
      this.local = await startSesLocal();
      this.ses = createSesClient({ endpoint: this.local.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
    } else {
      this.ses = createSesClient({ ...(this.target.region ? { region: this.target.region } : {}), maxAttempts: 1 });
    }
    return this.ses;
  }

  async send(email: OutgoingEmail, now: number): Promise<string> {
    const ses = await this.client();
    this.sent.push(now);
    const result = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: email.from,
        Destination: { ToAddresses: [email.to] },
        ...(email.replyTo ? { ReplyToAddresses: [email.replyTo] } : {}),
        Content: {
          Simple: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } },
            Headers: email.headers.map(({ name, value }) => ({ Name: name, Value: value })),
          },
        },
      }),
    );
    if (this.local && this.target.local) await syncOutbox(this.local.endpoint, this.target.outboxDir, { keepInInbox: true, written: this.copied });
    return result.MessageId ?? 'unknown';
  }

  async close(): Promise<void> {
    this.ses?.destroy();
    await this.local?.stop();
  }
}
