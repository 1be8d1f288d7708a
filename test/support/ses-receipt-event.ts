import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';

/**
 * The event an SES receipt rule's Lambda action (invocation type Event) delivers for a raw
 * mail: SES parses the headers (`mail.headers`, decoded `mail.commonHeaders`) and adds its
 * verdicts; the body is not part of this event (an S3 or SNS action would carry it).
 */
export async function sesReceiptEventFromEml(file: string, options: { messageId: string; recipient: string; functionArn?: string }) {
  const raw = readFileSync(file);
  const mail = await simpleParser(raw);
  const address = (value: typeof mail.from) => (value ? value.value.map((a) => (a.name ? `${a.name} <${a.address}>` : (a.address ?? ''))) : []);
  const timestamp = (mail.date ?? new Date(0)).toISOString();
  const pass = { status: 'PASS' };
  return {
    Records: [
      {
        eventSource: 'aws:ses',
        eventVersion: '1.0',
        ses: {
          mail: {
            timestamp,
            source: mail.from?.value[0]?.address ?? '',
            messageId: options.messageId,
            destination: [options.recipient],
            headersTruncated: false,
            headers: mail.headerLines.map((h) => ({ name: h.line.slice(0, h.line.indexOf(':')), value: h.line.slice(h.line.indexOf(':') + 1).trim() })),
            commonHeaders: {
              returnPath: mail.headers.get('return-path') ? String((mail.headers.get('return-path') as { text?: string }).text ?? '') : '',
              from: address(mail.from),
              date: mail.headers.get('date') ? raw.toString('utf8').match(/^Date: (.*)$/m)?.[1]?.trim() : undefined,
              to: Array.isArray(mail.to) ? mail.to.flatMap(address) : address(mail.to),
              messageId: mail.messageId,
              subject: mail.subject,
            },
          },
          receipt: {
            timestamp,
            processingTimeMillis: 412,
            recipients: [options.recipient],
            spamVerdict: pass,
            virusVerdict: pass,
            spfVerdict: pass,
            dkimVerdict: pass,
            dmarcVerdict: pass,
            action: { type: 'Lambda', functionArn: options.functionArn ?? 'arn:aws:lambda:eu-west-1:123456789012:function:UnsubscribeMail', invocationType: 'Event' },
          },
        },
      },
    ],
  };
}
