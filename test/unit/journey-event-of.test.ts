import { describe, expect, it } from 'vitest';
import { journeyEventOf } from '../../functions/journey/handler.ts';
import { ShopEvent } from '#domain/shop-events.ts';

const at = '2026-10-01T10:00:00.000Z';
const order = {
  id: 'e-o1',
  source: 'lifecycle-mailer.shop',
  time: at,
  'detail-type': 'Order Placed',
  detail: { customerId: 'c1', orderId: 'o1', placedAt: at, total: 40, items: [{ sku: 's', name: 'n', category: 'tea', quantity: 2, price: 20 }] },
};
const sesEvent = (eventType: 'Open' | 'Delivery', sendId: string) => ({
  source: 'aws.ses',
  id: `ses-${eventType}`,
  'detail-type': eventType === 'Open' ? 'Email Opened' : 'Email Delivered',
  time: at,
  detail: {
    eventType,
    mail: { timestamp: at, messageId: 'm-1', destination: ['c1@example.com'], tags: { customer: ['c1'], send: [sendId] } },
    ...(eventType === 'Open' ? { open: { timestamp: at, userAgent: 'Mozilla/5.0', ipAddress: '198.51.100.1' } } : { delivery: { timestamp: at, recipients: ['c1@example.com'] } }),
  },
});
const journeySend = 'abandoned-cart_abandoned-cart-3-steps[1]';

describe('journeyEventOf: what the journey function hears in an event', () => {
  it('a shop event: its message, and the event parsed once, as ShopEvent parses it', () => {
    const heard = journeyEventOf(order, ['abandoned-cart']);
    expect(heard?.message).toMatchObject({ customerId: 'c1', input: { kind: 'shop-event', event: 'Order Placed', at, context: { orderId: 'o1', value: 40 } } });
    expect(heard?.shop).toEqual(ShopEvent.parse(order));
  });

  it("an open of a journey step's email: an email message, and no shop event", () => {
    const heard = journeyEventOf(sesEvent('Open', journeySend), ['abandoned-cart']);
    expect(heard).toEqual({ message: { customerId: 'c1', input: { kind: 'email', at, email: 'opened', sendId: journeySend } } });
  });

  it('nothing for an SES event that is not an open or a click, an open of another send, or a malformed event of either source', () => {
    expect(journeyEventOf(sesEvent('Delivery', journeySend), ['abandoned-cart'])).toBeUndefined();
    expect(journeyEventOf(sesEvent('Open', 'win-back_2026-10'), ['abandoned-cart'])).toBeUndefined();
    expect(journeyEventOf({ ...sesEvent('Open', journeySend), detail: { eventType: 'Open' } }, ['abandoned-cart'])).toBeUndefined();
    expect(journeyEventOf({ ...order, detail: { ...order.detail, total: 'forty' } }, ['abandoned-cart'])).toBeUndefined();
    // A shop event's body under the SES source is not taken for a shop event.
    expect(journeyEventOf({ ...order, source: 'aws.ses' }, ['abandoned-cart'])).toBeUndefined();
    expect(journeyEventOf({ ...order, source: undefined }, ['abandoned-cart'])).toBeUndefined();
    expect(journeyEventOf(null, ['abandoned-cart'])).toBeUndefined();
  });
});
