import type { SendEmailCommandInput, SendEmailCommandOutput, SESv2Client } from '@aws-sdk/client-sesv2';
import type { Clock } from '#domain/clock.ts';
import { SEND_TAGS, SES_DETAIL_TYPES, type SesEventDetail } from '#domain/ses-events.ts';
import { seededRandom } from './seeded-random.ts';

export interface PendingSesEvent {
  at: number;
  detailType: string;
  detail: SesEventDetail;
}

/** What a recipient does with an email's unsubscribe link: one-click unsubscribe, or later tick the topics again on the preference page. */
export interface RecipientAction {
  at: number;
  kind: 'unsubscribe' | 'resubscribe';
  /** The List-Unsubscribe https link of the email (its token names customer and topic). */
  url: string;
  campaignId: string;
  customerId: string;
}

/** How recipients use the unsubscribe link. */
export interface RecipientBehaviour {
  /** Of the recipients who open an email, the share who then unsubscribe through its link (1%: about 0.5% of sends). */
  unsubscribePerOpen: number;
  /** Of those, the share who change their mind within days and tick the topics again (25%). */
  resubscribePerUnsubscribe: number;
}
export const DEFAULT_RECIPIENT_BEHAVIOUR: RecipientBehaviour = { unsubscribePerOpen: 0.01, resubscribePerUnsubscribe: 0.25 };

const HOUR = 3_600_000;
const SIMULATOR = /@simulator\.amazonses\.com$/i;

/**
 * Stands in for the configuration set's event destination: after local SES accepts a
 * message, it produces the events SES would publish to EventBridge, in the same shape.
 * Opens and clicks come from a seeded per-customer propensity; some opens come from an
 * Apple Mail Privacy Protection proxy. The mailbox simulator addresses bounce and complain
 * as they do on SES.
 */
export class SesEventEmulator {
  private readonly pending: PendingSesEvent[] = [];
  private readonly actions: RecipientAction[] = [];
  /** When (simulated ms) SES accepted each message, by message id: the `Date:` the outbox gives it. */
  readonly acceptedAt = new Map<string, number>();
  /** Every message id SES accepted, in order (an id the stand-in draws twice is here twice): what the outbox copies. */
  readonly accepted: string[] = [];
  readonly counts = { sent: 0, opens: 0, machineOpens: 0, clicks: 0, bounces: 0, complaints: 0 };
  /** Send ids SES accepted more than once: the exactly-once guarantee says this stays empty. */
  readonly mailedTwice: string[] = [];
  private readonly acceptedSendIds = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly seed: string,
    private readonly behaviour: RecipientBehaviour = DEFAULT_RECIPIENT_BEHAVIOUR,
  ) {}

  /** Adds the emulation to an SES client as middleware: the handlers' code is unchanged. */
  attach(client: SESv2Client): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'SendEmailCommand') {
          const output = result.output as SendEmailCommandOutput;
          if (output.MessageId) this.onSent(args.input as SendEmailCommandInput, output.MessageId);
        }
        return result;
      },
      { step: 'initialize', name: 'localSesEventDestination' },
    );
  }

  /** Removes and returns the events due at or before `until`, oldest first. */
  takeDue(until: number): PendingSesEvent[] {
    this.pending.sort((a, b) => a.at - b.at);
    let count = 0;
    while (count < this.pending.length && this.pending[count]!.at <= until) count++;
    // One splice, not a shift per event: a large send leaves tens of thousands pending.
    return this.pending.splice(0, count);
  }

  /** Removes and returns the recipient actions due at or before `until`, oldest first. */
  takeDueActions(until: number): RecipientAction[] {
    this.actions.sort((a, b) => a.at - b.at);
    let count = 0;
    while (count < this.actions.length && this.actions[count]!.at <= until) count++;
    return this.actions.splice(0, count);
  }

  nextDueAt(): number | undefined {
    return this.pending.reduce<number | undefined>((min, e) => (min === undefined || e.at < min ? e.at : min), undefined);
  }

  private onSent(input: SendEmailCommandInput, messageId: string): void {
    const sentAt = Date.parse(this.clock.now());
    const tags: Record<string, string[]> = {};
    for (const t of input.EmailTags ?? []) if (t.Name && t.Value) tags[t.Name] = [t.Value];
    const to = input.Destination?.ToAddresses?.[0] ?? '';
    const mail = { timestamp: new Date(sentAt).toISOString(), messageId, source: input.FromEmailAddress ?? '', destination: [to], tags };
    const at = (ms: number) => new Date(ms).toISOString();
    const push = (ms: number, detail: SesEventDetail) => this.pending.push({ at: ms, detailType: SES_DETAIL_TYPES[detail.eventType === 'Rendering Failure' ? 'RenderingFailure' : detail.eventType], detail });

    this.counts.sent++;
    this.acceptedAt.set(messageId, sentAt);
    this.accepted.push(messageId);
    const sendId = tags[SEND_TAGS.send]?.[0];
    if (sendId) {
      if (this.acceptedSendIds.has(sendId)) this.mailedTwice.push(sendId);
      this.acceptedSendIds.add(sendId);
    }
    push(sentAt, { eventType: 'Send', mail, send: {} });
    const local = to.split('@')[0]?.split('+')[0]?.toLowerCase();
    if (SIMULATOR.test(to) && local === 'bounce') {
      this.counts.bounces++;
      push(sentAt + 60_000, { eventType: 'Bounce', mail, bounce: { bounceType: 'Permanent', bounceSubType: 'General', timestamp: at(sentAt + 60_000) } });
      return;
    }
    push(sentAt + 5_000, { eventType: 'Delivery', mail, delivery: { timestamp: at(sentAt + 5_000) } });
    if (SIMULATOR.test(to) && local === 'complaint') {
      this.counts.complaints++;
      push(sentAt + HOUR, { eventType: 'Complaint', mail, complaint: { timestamp: at(sentAt + HOUR), complaintFeedbackType: 'abuse' } });
      return;
    }

    const customer = tags[SEND_TAGS.customer]?.[0] ?? to;
    const trait = seededRandom(`${this.seed}:trait:${customer}`);
    const openPropensity = 0.08 + 0.6 * trait();
    const clickPropensity = 0.05 + 0.35 * trait();
    const usesApplePrivacyProxy = trait() < 0.2;
    const draw = seededRandom(`${this.seed}:send:${tags[SEND_TAGS.send]?.[0] ?? messageId}`);

    if (usesApplePrivacyProxy) {
      const t = sentAt + 2 * 60_000 + draw() * 10 * 60_000;
      this.counts.machineOpens++;
      push(t, { eventType: 'Open', mail, open: { timestamp: at(t), ipAddress: '17.58.101.22', userAgent: 'Mozilla/5.0' } });
    }
    if (draw() < openPropensity) {
      const openAt = sentAt + (0.25 + draw() * 47.75) * HOUR;
      this.counts.opens++;
      push(openAt, {
        eventType: 'Open',
        mail,
        open: { timestamp: at(openAt), ipAddress: '203.0.113.7', userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36' },
      });
      if (draw() < clickPropensity) {
        const clickAt = openAt + draw() * 10 * 60_000;
        const link = firstShopLink(input.Content?.Simple?.Body?.Html?.Data ?? '');
        this.counts.clicks++;
        push(clickAt, { eventType: 'Click', mail, click: { timestamp: at(clickAt), ipAddress: '203.0.113.7', userAgent: 'Mozilla/5.0', link } });
      }
      const url = unsubscribeLink(input.Content?.Simple?.Headers ?? []);
      const campaignId = tags[SEND_TAGS.campaign]?.[0];
      if (url && campaignId && draw() < this.behaviour.unsubscribePerOpen) {
        const unsubscribeAt = openAt + (1 + draw() * 5) * 60_000;
        this.actions.push({ at: unsubscribeAt, kind: 'unsubscribe', url, campaignId, customerId: customer });
        if (draw() < this.behaviour.resubscribePerUnsubscribe) this.actions.push({ at: unsubscribeAt + (2 + draw() * 8) * 24 * HOUR, kind: 'resubscribe', url, campaignId, customerId: customer });
      }
    }
  }
}

/** The https link of a List-Unsubscribe header (the one-click target). */
function unsubscribeLink(headers: readonly { Name?: string | undefined; Value?: string | undefined }[]): string | undefined {
  const value = headers.find((h) => h.Name?.toLowerCase() === 'list-unsubscribe')?.Value ?? '';
  return /<(https?:\/\/[^>]+)>/.exec(value)?.[1];
}

function firstShopLink(html: string): string {
  for (const m of html.matchAll(/href="(https?:\/\/[^"]+)"/g)) {
    if (!/unsubscribe|token=/.test(m[1]!)) return m[1]!.replace(/&amp;/g, '&');
  }
  return 'https://shop.example/';
}
