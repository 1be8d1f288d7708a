import { html } from 'hono/html';
import type { ReportSnapshot } from '#cli/report/snapshot.ts';
import type { CustomerProfile } from '#domain/customer-profile.ts';
import type { WorkbenchPage } from '../context.ts';
import { page } from '../layout.ts';

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const row = (label: string, value: unknown) => html`<tr><th scope="row">${label}</th><td>${value === undefined || value === '' ? html`<span class="muted">none</span>` : String(value)}</td></tr>`;

/**
 * A customer's orders as the report reads them (each order, where the tables record orders;
 * else the profile's last), with the send each is attributed to where attribution is recorded.
 */
export function customerOrders(p: CustomerProfile, snapshot: ReportSnapshot | undefined, id: string) {
  const attributedOrders = snapshot?.attributedOrders?.filter((o) => o.customerId === id);
  const campaignOf = new Map((snapshot?.sends ?? []).map((s) => [s.sendId, s.campaignId]));
  const recorded = snapshot?.orders?.filter((o) => o.customerId === id).map((o) => ({ at: o.at, value: o.value }));
  const base = recorded ?? (p.lastOrder ? [{ at: p.lastOrder.placedAt, value: p.lastOrder.total }] : []);
  const rows = base
    .map((o) => {
      const a = attributedOrders?.find((x) => x.at === o.at && x.value === o.value);
      return { ...o, ...(a ? { send: { sendId: a.sendId, campaignId: campaignOf.get(a.sendId) ?? '', touch: a.touch, hoursToOrder: a.hoursToOrder } } : {}) };
    })
    .sort((a, b) => b.at.localeCompare(a.at));
  const note = !recorded && p.orderCount > rows.length ? `${p.orderCount} orders in all; the tables keep only the last one per customer.` : '';
  return { rows, attributed: attributedOrders !== undefined, note };
}

/** Customers whose id or email contains the query (case-insensitive), first by exact id. */
export function searchCustomers(customers: readonly CustomerProfile[], query: string): CustomerProfile[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  return customers.filter((p) => p.customerId.toLowerCase().includes(q) || (p.email ?? '').toLowerCase().includes(q)).sort((a, b) => Number(b.customerId.toLowerCase() === q) - Number(a.customerId.toLowerCase() === q));
}

/** Search by id or email; a customer's profile, consent, stage history, value scores, every send with its events, journey entries and orders. */
export const customersPage: WorkbenchPage = {
  nav: { path: '/customers', label: 'Customers' },
  register(app, ctx) {
    app.get('/customers', async (c) => {
      const q = c.req.query('q') ?? '';
      const found = searchCustomers(await ctx.data.allCustomers(), q);
      const body = html`
<form class="pickers" method="get" action="/customers" role="search">
  <label>Customer id or email <input type="search" name="q" value="${q}" autocomplete="off"></label>
  <button type="submit">Search</button>
</form>
${q ? html`<h2>${found.length} found</h2>
<table><thead><tr><th scope="col">Customer</th><th scope="col">Email</th><th scope="col">Stage</th><th scope="col">Locale</th></tr></thead><tbody>
${found.slice(0, 200).map((p) => html`<tr><th scope="row"><a href="/customers/${encodeURIComponent(p.customerId)}">${p.customerId}</a></th><td>${p.email ?? ''}</td><td>${p.stage}</td><td>${p.locale}</td></tr>`)}
</tbody></table>` : html`<p>Type part of a customer id or an email address.</p>`}`;
      return c.html(page(c, { title: 'Customers', nav: ctx.nav, active: '/customers', body, where: ctx.data.where }));
    });

    app.get('/customers/:id', async (c) => {
      const id = c.req.param('id');
      const p = await ctx.data.customer(id);
      if (!p) return c.html(page(c, { title: 'No such customer', nav: ctx.nav, active: '/customers', body: html`<p class="error-box" role="alert">No customer '${id}' in the tables. <a href="/customers">Search</a></p>`, where: ctx.data.where }), 404);
      const config = ctx.project.current.check.config;
      const [sends, stages, entries, snapshot] = await Promise.all([
        ctx.data.sendsOf(id),
        ctx.data.stageChangesOf(id),
        ctx.data.journeyEntriesOf(id),
        config ? ctx.data.reportSnapshot(config, ctx.now()).catch(() => undefined) : Promise.resolve(undefined),
      ]);
      const orders = customerOrders(p, snapshot, id);
      const money = (n: number) => round(n).toFixed(2);
      const body = html`
<section aria-labelledby="profile"><h2 id="profile">${p.firstName ?? ''} ${p.lastName ?? ''}</h2>
<table>${row('customer id', p.customerId)}${row('email', p.email)}${row('locale', p.locale)}${row('time zone', p.timeZone)}${row('channel', p.channel)}${row('registered', p.registeredAt)}
${row('orders', `${p.orderCount} (on ${p.orderDays} days), spend ${money(p.totalSpend)}, average ${money(p.averageOrderValue)}`)}${row('refunds', `${p.refundCount}, ${money(p.refundTotal)}`)}${row('first / last order', `${p.firstOrderAt ?? '–'} / ${p.lastOrderAt ?? '–'}`)}
${row('favourite category', p.favouriteCategory)}${row('last cart', p.lastCart ? `${p.lastCart.items.length} items, ${money(p.lastCart.value)}, left ${p.lastCart.abandonedAt}` : undefined)}
${row('suppression', p.suppression ? `${p.suppression.reason} since ${p.suppression.at}${p.suppression.detail ? ` (${p.suppression.detail})` : ''}` : undefined)}</table></section>
<section aria-labelledby="consent"><h2 id="consent">Consent</h2>
<table>${row('marketing', p.consent.marketing ? 'yes' : 'no')}${row('topics chosen', p.consent.topics.length ? p.consent.topics.join(', ') : 'all')}${row('opted out of', p.consent.unsubscribedTopics.join(', '))}${row('last changed', p.consent.updatedAt)}${row('source', p.consent.source)}
${row('pending confirmation', p.consent.pending ? `since ${p.consent.pending.requestedAt}` : undefined)}${row('confirmed', p.consent.confirmed ? `${p.consent.confirmed.method} on ${p.consent.confirmed.confirmedAt}` : undefined)}</table></section>
<section aria-labelledby="stage"><h2 id="stage">Lifecycle stage: ${p.stage}</h2>
<p>Since ${p.stageSince ?? 'the start'}.</p>
${stages.length ? html`<table><thead><tr><th scope="col">When</th><th scope="col">From</th><th scope="col">To</th></tr></thead><tbody>${stages.map((s) => html`<tr><td>${s.changedAt}</td><td>${s.from}</td><td>${s.to}</td></tr>`)}</tbody></table>` : html`<p class="muted">No stage changes recorded.</p>`}</section>
<section aria-labelledby="value"><h2 id="value">Value and churn risk</h2>
<table>${row('RFM', p.rfm ? `R${p.rfm.r} F${p.rfm.f} M${p.rfm.m}: ${p.rfm.segment}` : undefined)}${row('P(alive)', p.value ? round(p.value.pAlive, 3) : undefined)}${row('expected purchases (90 days)', p.value ? round(p.value.expectedPurchases90d) : undefined)}
${row('predicted CLV', p.value ? `${money(p.value.predictedClv)} (percentile ${round(p.value.clvPercentile, 0)})` : undefined)}${row('churn risk', p.value ? round(p.value.churnRisk, 3) : undefined)}${row('loyalty score', round(p.loyaltyScore, 1))}
${row('engagement', p.engagement ? `score ${round(p.engagement.score, 1)}: ${p.engagement.opens} opens, ${p.engagement.clicks} clicks` : undefined)}</table></section>
<section aria-labelledby="sends"><h2 id="sends">Sends (${sends.length})</h2>
${sends.length ? html`<table><thead><tr><th scope="col">Campaign</th><th scope="col">Variant</th><th scope="col">Status</th><th scope="col">Claimed / sent</th><th scope="col">Events</th></tr></thead><tbody>
${sends.map((s) => html`<tr><td><a href="/audience?campaign=${encodeURIComponent(s.campaignId)}&amp;customer=${encodeURIComponent(p.customerId)}">${s.campaignId}</a></td><td>${s.variant}</td><td>${s.status}${s.skipReason ? ` (${s.skipReason})` : ''}</td><td>${s.claimedAt}${s.sentAt ? html`<br>${s.sentAt}` : ''}</td>
<td>${[s.delivered ? 'delivered' : '', s.opens ? `${s.opens} opens` : '', s.clicks ? `${s.clicks} clicks` : '', s.bounced ? 'bounced' : '', s.complained ? 'complained' : ''].filter(Boolean).join(', ') || html`<span class="muted">none</span>`}</td></tr>`)}
</tbody></table>` : html`<p class="muted">Nothing sent to this customer.</p>`}
</section>
<section aria-labelledby="journeys"><h2 id="journeys">Journey entries (${entries.length})</h2>
${entries.length ? html`<table data-testid="journey-entries"><thead><tr><th scope="col">Journey</th><th scope="col">Status</th><th scope="col">Step</th><th scope="col">Entered</th><th scope="col">Ended / exit reason</th></tr></thead><tbody>
${entries.map((e) => html`<tr><th scope="row"><a href="/journeys/${encodeURIComponent(e.journeyId)}">${e.journeyId}</a>${e.entryNumber > 1 ? html` <span class="muted">(entry ${e.entryNumber})</span>` : ''}</th><td>${e.status}</td>
<td>${e.cursor ? html`<code>${e.cursor.step}</code> (${e.cursor.holding} until ${e.cursor.wakeAt})` : e.lastSend ? html`last sent <code>${e.lastSend.step}</code>` : html`<span class="muted">none</span>`}</td><td>${e.enteredAt}</td>
<td>${e.endedAt ?? ''}${e.exitReason ? html`<br>${e.exitReason}` : ''}</td></tr>`)}
</tbody></table>` : html`<p class="muted">Never entered a journey.</p>`}</section>
<section aria-labelledby="orders"><h2 id="orders">Orders${orders.attributed ? ' and the sends they are attributed to' : ''}</h2>
${orders.rows.length ? html`<table data-testid="orders"><thead><tr><th scope="col">Placed</th><th scope="col">Value</th>${orders.attributed ? html`<th scope="col">Attributed to (last touch)</th>` : ''}</tr></thead><tbody>
${orders.rows.map((o) => html`<tr><td>${o.at}</td><td>${money(o.value)}</td>${orders.attributed ? html`<td>${o.send ? html`${o.send.campaignId} <code>${o.send.sendId}</code> (${o.send.touch}, ${round(o.send.hoursToOrder, 1)} h before)` : html`<span class="muted">no email</span>`}</td>` : ''}</tr>`)}
</tbody></table>` : html`<p class="muted">No orders recorded.</p>`}
${orders.note ? html`<p class="muted">${orders.note}</p>` : ''}</section>`;
      return c.html(page(c, { title: `Customer ${p.customerId}`, nav: ctx.nav, active: '/customers', body, where: ctx.data.where }));
    });
  },
};
