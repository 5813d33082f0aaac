/**
 * A webhook receiver on 127.0.0.1 (node:http) that records every request and answers what
 * `respond` says, for outbox tests.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Responder = (r: Received, n: number) => { status: number; headers?: Record<string, string> };

export interface FakeSubscriber {
  url: string;
  received: Received[];
  respond: Responder;
  /** Requests per `webhook-id`. */
  countsById(): Map<string, number>;
  close(): Promise<void>;
}

export async function startFakeSubscriber(respond: Responder = () => ({ status: 200 })): Promise<FakeSubscriber> {
  const fake = { received: [] as Received[], respond } as FakeSubscriber;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      fake.received.push(r);
      const { status, headers } = fake.respond(r, fake.received.length);
      res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  fake.countsById = () => {
    const m = new Map<string, number>();
    for (const r of fake.received) {
      const id = String(r.headers['webhook-id']);
      m.set(id, (m.get(id) ?? 0) + 1);
    }
    return m;
  };
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
