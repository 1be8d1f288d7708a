import { describe, expect, it } from 'vitest';
import { DemoResponse, trueEffects } from '#cli/run/demo-response.ts';

const DAY = 86_400_000;
const at = (days: number) => new Date(Date.parse('2026-10-01T09:00:00.000Z') + days * DAY).toISOString();

describe('the demo truth per journey', () => {
  it('counts only its own response orders as caused: an order another journey caused would have come without this one', () => {
    const response = new DemoResponse([{ id: 'welcome-series' }, { id: 'vip' }], 'seed', Date.parse(at(60)), { 'welcome-series': 0.7, vip: 0 });
    // c1 got both journeys' emails and ordered once, because of the welcome email's click.
    response.orders.push({ journeyId: 'welcome-series', sendId: 'welcome_x_c1', customerId: 'c1', orderId: 'response-welcome_x_c1', at: Date.parse(at(2)), value: 14.5 });
    const firstSends = [
      { journeyId: 'welcome-series', customerId: 'c1', at: at(0) },
      { journeyId: 'vip', customerId: 'c1', at: at(1) },
      { journeyId: 'welcome-series', customerId: 'c2', at: at(0) },
    ];
    const orders = [
      { customerId: 'c1', orderId: 'response-welcome_x_c1', at: at(2), value: 14.5 },
      { customerId: 'c2', orderId: 'o-natural', at: at(1), value: 80 }, // would have happened anyway
    ];
    const effects = trueEffects(['welcome-series', 'vip'], firstSends, orders, response, 5);
    expect(effects['welcome-series']).toMatchObject({ treatedCustomers: 2, responseOrders: 1, incrementalConversions: 1, incrementalConversionRate: 0.5, incrementalRevenue: 14.5, incrementalRevenuePerCustomer: 7.25 });
    expect(effects.vip).toMatchObject({ treatedCustomers: 1, responseOrders: 0, incrementalConversions: 0, incrementalConversionRate: 0, incrementalRevenue: 0 });
  });
});
