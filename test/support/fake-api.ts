/**
 * A fake Slack / Jira / GitHub API on 127.0.0.1 (node:http) that records every request
 * (method, path, headers, body) and answers what `respond` says (JSON), for notify tests.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type ApiResponder = (r: ApiRequest) => { status: number; json?: unknown; headers?: Record<string, string> };

export interface FakeApi {
  /** http://127.0.0.1:<port>, no trailing slash. */
  base: string;
  received: ApiRequest[];
  respond: ApiResponder;
  close(): Promise<void>;
}

export async function startFakeApi(respond: ApiResponder): Promise<FakeApi> {
  const fake = { received: [] as ApiRequest[], respond } as FakeApi;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: ApiRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      fake.received.push(r);
      const { status, json, headers } = fake.respond(r);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(json === undefined ? '' : JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
