#!/usr/bin/env node
/** switchyard serve | send | tasks | keys create | audit verify | secrets rotate|list | dead-letters | migrate */
import { Command, Option } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { auditVerify, keysCreate, migrate } from './admin.js';
import { deadLettersDiscard, deadLettersList, deadLettersRetry } from './dead-letters.js';
import { DEFAULTS } from './options.js';
import { secretsList, secretsRotate } from './secrets.js';
import { send } from './send.js';
import { serve } from './serve.js';
import { tasks } from './tasks.js';

const program = new Command('switchyard').description(
  'Route work from your tools to the right person, with an audit trail.',
);
const dbOption = () => new Option('--db <url>', 'sqlite:PATH or postgres://… (env DATABASE_URL)').default(DEFAULTS.db);
const configOption = () =>
  new Option('--config <file>', 'config YAML (env SWITCHYARD_CONFIG)').default(DEFAULTS.config);

program
  .command('serve')
  .description('Serve intake, the API and the pipeline worker')
  .addOption(configOption())
  .addOption(dbOption())
  .addOption(new Option('--port <n>', 'port (env PORT)').default(DEFAULTS.port))
  .addOption(
    new Option('--host <addr>', 'address to bind (env HOST); 0.0.0.0 for all interfaces').default(DEFAULTS.host),
  )
  .addOption(
    new Option('--role <role>', 'all, web (intake + API) or worker (pipeline only)')
      .choices(['all', 'web', 'worker'])
      .default('all'),
  )
  .action(serve);

program
  .command('send <files...>')
  .description('Sign sample events with the config secret and POST them to a running server')
  .addOption(configOption())
  .addOption(new Option('--url <url>', 'server base URL (env SWITCHYARD_URL)').default(DEFAULTS.url))
  .option('--tenant <id>', 'tenant (default: the first in the config)')
  .option('--integration <id>', 'integration (default: the tenant’s first)')
  .action(send);

program
  .command('tasks')
  .description('List tasks with their assignee and the explanation of the decision')
  .addOption(dbOption())
  .option('--tenant <id>', 'only this tenant')
  .option('--limit <n>', 'tasks per tenant', '20')
  .option('--json', 'JSON output')
  .action(tasks);

const keys = program.command('keys').description('API keys');
keys
  .command('create')
  .description('Create an API key for one tenant; prints it once')
  .requiredOption('--tenant <id>', 'tenant the key belongs to')
  .option('--name <name>', 'a label for the key', 'cli')
  .addOption(dbOption())
  .action(keysCreate);

const audit = program.command('audit').description('The tamper-evident audit trail');
audit
  .command('verify')
  .description('Recompute every tenant’s hash chain; exits 1 and names the first bad entry on any tampering')
  .option('--tenant <id>', 'only this tenant')
  .addOption(dbOption())
  .action(auditVerify);

const secrets = program.command('secrets').description('Rotated webhook secrets and tokens of an integration');
const secretTarget = (c: Command) =>
  c
    .requiredOption('--tenant <id>', 'tenant')
    .requiredOption('--integration <id>', 'integration')
    .addOption(dbOption())
    .addOption(configOption());
secretTarget(
  secrets
    .command('rotate')
    .description('Create a new secret (printed once); the other stored ones expire after --expire-others-in'),
)
  .option('--expire-others-in <duration>', 'grace period for the other stored secrets: 24h, 90m, 3600s, 0', '24h')
  .action(secretsRotate);
secretTarget(secrets.command('list').description('The integration’s secrets (config and stored), never their values'))
  .option('--json', 'JSON output')
  .action(secretsList);

const deadLetters = program
  .command('dead-letters')
  .description('What could not be routed or delivered (audited with actor `cli`)');
deadLetters
  .command('list')
  .description('Dead letters, newest first per tenant')
  .option('--tenant <id>', 'only this tenant')
  .addOption(new Option('--kind <kind>', 'only this kind').choices(['event', 'delivery']))
  .option('--json', 'JSON output')
  .addOption(dbOption())
  .action(deadLettersList);
deadLetters
  .command('retry [id]')
  .description('Deliver a dead-lettered side effect again (pending, attempts reset); --all for every delivery one')
  .option('--all', 'every delivery dead letter (of --tenant, --target)')
  .option('--target <target>', 'with --all: a row target (webhook:<id>) or target name (webhook)')
  .option('--tenant <id>', 'tenant (default: the dead letter’s own; with --all, every tenant)')
  .addOption(dbOption())
  .action(deadLettersRetry);
deadLetters
  .command('discard <id>')
  .description('Remove a dead letter; what it refers to stays as it is')
  .option('--tenant <id>', 'tenant (default: the dead letter’s own)')
  .addOption(dbOption())
  .action(deadLettersDiscard);

program.command('migrate').description('Bring the database schema up to date').addOption(dbOption()).action(migrate);

program.parseAsync().catch((e: unknown) => {
  if (e instanceof ConfigError) process.stderr.write(`${e.message}\n`);
  else process.stderr.write(`switchyard: ${(e as Error).stack ?? e}\n`);
  process.exit(e instanceof ConfigError ? 2 : 1);
});
