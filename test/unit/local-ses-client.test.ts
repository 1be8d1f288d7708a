/**
 * The local runtime's SES client and a stand-in that closes idle connections (Node's HTTP server,
 * as aws-ses-v2-local is, after 5 s). A busy replay could hand a send to a connection the stand-in
 * was closing: "socket hang up", no answer, the send set aside as outcome unknown though the
 * stand-in never saw it. This stand-in drops every request that arrives on a connection it
 * already answered on, which is what that race does to the unlucky one.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SesMailer } from '#adapters/mailer.ts';
import { createLocalSesClient } from '#lib/local/ses-local.ts';

const answeredOn = new WeakSet<Socket>();
let connections = 0;
let received = 0;
const standIn = createServer((req: IncomingMessage, res) => {
  if (answeredOn.has(req.socket)) {
    req.socket.destroy(); // closed under the client's feet
    return;
  }
  req.resume();
  req.on('end', () => {
    received++;
    answeredOn.add(req.socket);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ MessageId: `m-${received}` }));
  });
});
standIn.on('connection', () => connections++);
standIn.keepAliveTimeout = 60_000; // the client keeps the connection, as one that has not yet read the close does
let endpoint: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`;
});
afterAll(() => {
  standIn.closeAllConnections();
  standIn.close();
});

describe('the local SES client', () => {
  it('sends each call on a connection of its own, so none lands on one the stand-in closed', async () => {
    const mailer = new SesMailer(createLocalSesClient(endpoint, { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
    const email = (to: string) => ({ from: 'shop@example.com', to, subject: 's', html: '<p>h</p>', text: 't', headers: [], tags: [], configurationSet: 'cs' });
    const ids: string[] = [];
    for (const to of ['a@example.com', 'b@example.com', 'c@example.com']) ids.push(await mailer.send(email(to)));
    expect(ids).toEqual(['m-1', 'm-2', 'm-3']);
    expect(connections).toBe(3);
  });
});
