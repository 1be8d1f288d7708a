import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { estimateMonthlyCost, formatCost, loadPrices } from '#cli/cost-command.ts';

const prices = loadPrices();
const cost = (service: string, customers: number, emails: number) => estimateMonthlyCost(prices, customers, emails).find((r) => r.service === service)!.monthly;

describe('cost estimate', () => {
  it('prices SES per thousand emails from the prices file', () => {
    expect(cost('SES', 10_000, 80_000)).toBeCloseTo(80 * prices.services.ses.perThousandEmails, 10);
  });

  it('names every service of the stack, each with a cost that grows with the customers and the emails', () => {
    const small = estimateMonthlyCost(prices, 10_000, 80_000);
    const large = estimateMonthlyCost(prices, 100_000, 800_000);
    expect(small.map((r) => r.service)).toEqual(['SES', 'Lambda', 'DynamoDB (on-demand)', 'SQS', 'EventBridge', 'EventBridge Scheduler', 'Step Functions', 'CloudWatch', 'Secrets Manager']);
    small.forEach((r, i) => expect(large[i]!.monthly, r.service).toBeGreaterThan(r.monthly));
  });

  it('shows the hosted tool of the next contact count up, with its date', () => {
    expect(formatCost(prices, 10_000, 80_000)).toMatch(/Klaviyo Email for 10,000 contacts was listed at \$150\/month \(2025-02/);
  });

  it('names the field of a prices file that is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prices-'));
    const file = join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify({ ...prices, services: { ...prices.services, ses: { ...prices.services.ses, perThousandEmails: -1 } } }));
    expect(() => loadPrices(file)).toThrow(/prices\.json: services\.ses\.perThousandEmails: /);
  });
});
