/** Defaults shared by every command, each overridable by flag and by environment. */
export const DEFAULTS = {
  db: process.env.DATABASE_URL ?? 'sqlite:./data/switchyard.db',
  config: process.env.SWITCHYARD_CONFIG ?? 'examples/demo.yaml',
  port: process.env.PORT ?? '8080',
  host: process.env.HOST ?? '127.0.0.1',
  url: process.env.SWITCHYARD_URL ?? `http://127.0.0.1:${process.env.PORT ?? '8080'}`,
};

export function fail(message: string, code = 1): never {
  process.stderr.write(`switchyard: ${message}\n`);
  process.exit(code);
}
