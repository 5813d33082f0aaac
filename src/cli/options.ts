import { resolve } from 'node:path';

/** Defaults shared by every command, each overridable by environment, and the environment by flag. */
export const DEFAULTS = {
  db: process.env.DATABASE_URL ?? 'sqlite:./data/switchyard.db',
  config: process.env.SWITCHYARD_CONFIG ?? 'examples/demo.yaml',
  port: process.env.PORT ?? '8080',
  host: process.env.HOST ?? '127.0.0.1',
  /** Where `send` and `policy approve` find the server `serve` started: the same PORT. */
  url: process.env.SWITCHYARD_URL ?? `http://127.0.0.1:${process.env.PORT ?? '8080'}`,
};

/** A store URL as a log line may show it: `sqlite:<absolute path>`, or `postgres://user@host:port/db` without the password. */
export function storeLabel(url: string): string {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    return `sqlite:${path === ':memory:' ? path : resolve(path)}`;
  }
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return url.split(':')[0] ?? 'store';
  }
}
