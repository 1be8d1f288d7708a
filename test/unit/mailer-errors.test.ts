import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RejectedSendError, RetryableSendError, SesMailer, SystemicSendError } from '#adapters/mailer.ts';
import type { OutgoingEmail } from '#domain/compose-email.ts';

const ses = mockClient(SESv2Client);
const email: OutgoingEmail = { from: 'a@b.example', to: 'c@d.example', subject: 's', html: '<p>h</p>', text: 't', headers: [], tags: [], configurationSet: 'cs' };
const failure = (name: string) => Object.assign(new Error(`${name} happened`), { name });

describe('SesMailer error mapping (what the queue retries and what it does not)', () => {
  beforeEach(() => ses.reset());

  it.each(['TooManyRequestsException', 'LimitExceededException', 'InternalFailure', 'ServiceUnavailable', 'TimeoutError'])('retries %s', async (name) => {
    ses.on(SendEmailCommand).rejects(failure(name));
    await expect(new SesMailer(new SESv2Client({ region: 'us-east-1' })).send(email)).rejects.toBeInstanceOf(RetryableSendError);
  });

  it('gives a claim back only when SES answered: a timeout leaves the outcome unknown', async () => {
    const mailer = new SesMailer(new SESv2Client({ region: 'us-east-1' }));
    ses.on(SendEmailCommand).rejects(Object.assign(failure('TooManyRequestsException'), { $metadata: { httpStatusCode: 429 } }));
    await expect(mailer.send(email)).rejects.toMatchObject({ accepted: 'no' });
    ses.on(SendEmailCommand).rejects(failure('TimeoutError'));
    await expect(mailer.send(email)).rejects.toMatchObject({ accepted: 'unknown' });
  });

  it.each([
    ['TooManyRequestsException', 429, true],
    ['LimitExceededException', 400, true],
    ['InternalFailure', 500, false],
  ] as const)('marks %s (HTTP %i) throttled: %s, so the paced mailer backs off only from throttles', async (name, status, throttled) => {
    ses.on(SendEmailCommand).rejects(Object.assign(failure(name), { $metadata: { httpStatusCode: status } }));
    await expect(new SesMailer(new SESv2Client({ region: 'us-east-1' })).send(email)).rejects.toMatchObject({ throttled, accepted: 'no' });
  });

  it.each(['MessageRejected', 'BadRequestException'])('does not retry %s', async (name) => {
    ses.on(SendEmailCommand).rejects(failure(name));
    await expect(new SesMailer(new SESv2Client({ region: 'us-east-1' })).send(email)).rejects.toBeInstanceOf(RejectedSendError);
  });

  it.each([
    ['AccountSuspendedException', 'Account suspended.'],
    ['SendingPausedException', 'Sending paused for this account.'],
    ['MailFromDomainNotVerifiedException', 'MAIL FROM domain mail.b.example is not verified.'],
    ['NotFoundException', 'Configuration set <cs> does not exist.'],
  ])('%s is account-level (systemic), not a rejection of this message', async (name, message) => {
    ses.on(SendEmailCommand).rejects(Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } }));
    const error = await new SesMailer(new SESv2Client({ region: 'us-east-1' })).send(email).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SystemicSendError);
    expect(error).toMatchObject({ sesError: name, message: `${name}: ${message}` });
  });

  it('a NotFoundException about anything but the configuration set stays a rejection', async () => {
    ses.on(SendEmailCommand).rejects(Object.assign(new Error('Contact list <x> does not exist.'), { name: 'NotFoundException' }));
    await expect(new SesMailer(new SESv2Client({ region: 'us-east-1' })).send(email)).rejects.toBeInstanceOf(RejectedSendError);
  });

  it('passes configuration set, tags, headers and both parts to SES', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    const withTags = { ...email, tags: [{ name: 'campaign', value: 'welcome' }], headers: [{ name: 'X-Send-Id', value: 'x' }] };
    expect(await new SesMailer(new SESv2Client({ region: 'us-east-1' })).send(withTags)).toBe('m-1');
    const input = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
    expect(input.ConfigurationSetName).toBe('cs');
    expect(input.EmailTags).toEqual([{ Name: 'campaign', Value: 'welcome' }]);
    expect(input.Content?.Simple?.Headers).toEqual([{ Name: 'X-Send-Id', Value: 'x' }]);
    expect(input.Content?.Simple?.Body?.Text?.Data).toBe('t');
  });
});
