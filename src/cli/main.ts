#!/usr/bin/env node
/**
 * switchyard serve | send | tasks | keys create | audit verify | secrets rotate|list | dead-letters | functions |
 * apply | policy | simulate | replay | migrate.
 *
 * Every command is declared here with its options (so `--help` needs nothing else), and its
 * module is imported only when it runs: `switchyard tasks` never loads fastify or the function
 * sandbox. Exit codes: src/cli/exit.ts.
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { exitWith } from './exit.js';
import { DEFAULTS } from './options.js';

/** An action that imports its module when the command runs, then calls `name` with commander's arguments. */
function run<M, K extends keyof M>(load: () => Promise<M>, name: K) {
  return async (...args: unknown[]): Promise<void> => {
    const action = (await load())[name] as (...a: unknown[]) => Promise<void>;
    await action(...args);
  };
}

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('switchyard')
  .description('Route work from your tools to the right person, with an audit trail.')
  .version(version, '-V, --version', 'print the version')
  .option('--verbose', 'print the stack trace of an unexpected error (as DEBUG=1 does)')
  .exitOverride();
/** A --db that names neither store is a usage error (2), caught before any module loads. */
function storeUrl(value: string): string {
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(value)) throw new InvalidArgumentError('use sqlite:PATH or postgres://…');
  return value;
}
const dbOption = () =>
  new Option('--db <url>', 'sqlite:PATH or postgres://… (env DATABASE_URL)').default(DEFAULTS.db).argParser(storeUrl);
const urlOption = () =>
  new Option('--url <url>', 'server base URL (env SWITCHYARD_URL, else http://127.0.0.1:$PORT)').default(DEFAULTS.url);
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
  .action(run(() => import('./serve.js'), 'serve'));

program
  .command('send <files...>')
  .description('Sign sample events with the config secret and POST them to a running server')
  .addOption(configOption())
  .addOption(urlOption())
  .option('--tenant <id>', 'tenant (default: the first in the config)')
  .option('--integration <id>', 'integration (default: the tenant’s first)')
  .action(run(() => import('./send.js'), 'send'));

program
  .command('tasks')
  .description('List tasks, newest first: status, assignee or queue, route, and the explanation of the decision')
  .addOption(dbOption())
  .option('--tenant <id>', 'only this tenant')
  .addOption(
    new Option('--status <status>', 'only tasks in this status').choices([
      'assigned',
      'acknowledged',
      'queued',
      'closed',
      'cancelled',
    ]),
  )
  .option('--assignee <member>', 'only tasks assigned to this member')
  .option('--external-id <key>', 'only the task with this source key (e.g. SUP-1042)')
  .option('--limit <n>', 'tasks per tenant', '20')
  .option('--json', 'JSON output')
  .action(run(() => import('./tasks.js'), 'tasks'));

const keys = program.command('keys').description('API keys');
keys
  .command('create')
  .description('Create an API key for one tenant; prints it once')
  .requiredOption('--tenant <id>', 'tenant the key belongs to')
  .option('--name <name>', 'a label for the key', 'cli')
  .option(
    '--scope <scope>',
    'an extra permission (repeatable): policy:approve lets the key approve policy versions others made',
    (value: string, all: string[]) => [...all, value],
    [] as string[],
  )
  .addOption(dbOption())
  .action(run(() => import('./admin.js'), 'keysCreate'));

const audit = program.command('audit').description('The tamper-evident audit trail');
audit
  .command('verify')
  .description('Recompute every tenant’s hash chain; exits 1 and names the first bad entry on any tampering')
  .option('--tenant <id>', 'only this tenant')
  .addOption(dbOption())
  .action(run(() => import('./admin.js'), 'auditVerify'));

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
  .action(run(() => import('./secrets.js'), 'secretsRotate'));
secretTarget(secrets.command('list').description('The integration’s secrets (config and stored), never their values'))
  .option('--json', 'JSON output')
  .action(run(() => import('./secrets.js'), 'secretsList'));

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
  .action(run(() => import('./dead-letters.js'), 'deadLettersList'));
deadLetters
  .command('retry [id]')
  .description('Deliver a dead-lettered side effect again (pending, attempts reset); --all for every delivery one')
  .option('--all', 'every delivery dead letter (of --tenant, --target)')
  .option('--target <target>', 'with --all: a row target (webhook:<id>) or target name (webhook)')
  .option('--tenant <id>', 'tenant (default: the dead letter’s own; with --all, every tenant)')
  .addOption(dbOption())
  .action(run(() => import('./dead-letters.js'), 'deadLettersRetry'));
deadLetters
  .command('discard <id>')
  .description('Remove a dead letter; what it refers to stays as it is')
  .option('--tenant <id>', 'tenant (default: the dead letter’s own)')
  .addOption(dbOption())
  .action(run(() => import('./dead-letters.js'), 'deadLettersDiscard'));

const functions = program
  .command('functions')
  .description('Custom functions: immutable versions (authored `cli:<os user>`)');
const functionTarget = (c: Command) => c.requiredOption('--tenant <id>', 'tenant').addOption(dbOption());
functionTarget(
  functions
    .command('push [file]')
    .description(
      'Upload a version from a .js/.mjs/.ts file (or --manifest); prints name@version, or a new remote secret once',
    ),
)
  .option('--name <name>', 'function name (lowercase letters, digits, -)')
  .addOption(new Option('--kind <kind>', 'what it answers').choices(['decide', 'score', 'transform', 'match']))
  .option(
    '--manifest <file>',
    'YAML with name, kind, runtime, remote, fields, outputSchema, limits, message, sourceFile',
  )
  .option('--fields-task <list>', 'Task fields it may read, comma-separated (transform: payload or payload.<path>)')
  .option('--fields-member <list>', 'candidate fields it may read, comma-separated (id is always passed)')
  .option('--timeout-ms <n>', 'wall-clock budget per call, 1..1000 (default 50)')
  .option('--memory-mb <n>', 'heap limit, 8..128 (default 32)')
  .option('--message <text>', 'why this version')
  .option('--json', 'JSON output')
  .action(run(() => import('./functions.js'), 'functionsPush'));
functionTarget(functions.command('list').description('Each function with its latest version'))
  .option('--json', 'JSON output')
  .action(run(() => import('./functions.js'), 'functionsList'));
functionTarget(functions.command('versions <name>').description('The versions of a function, newest first'))
  .option('--json', 'JSON output')
  .action(run(() => import('./functions.js'), 'functionsVersions'));
functionTarget(
  functions
    .command('diff <name> <a> <b>')
    .description('What changed from version a to b: manifest fields, then the source'),
).action(run(() => import('./functions.js'), 'functionsDiff'));
functionTarget(
  functions
    .command('test <name> <version>')
    .description('Call a version on a sample input as a decision would; exits 1 unless the outcome is ok'),
)
  .requiredOption('--input <file>', 'JSON sample: { task, candidates, payload, now }')
  .action(run(() => import('./functions.js'), 'functionsTest'));

program
  .command('apply')
  .description(
    'Record the config file’s policy, members and teams as a new policy version of each tenant (docs/policy-versions.md)',
  )
  .addOption(configOption())
  .addOption(dbOption())
  .option('--tenant <id>', 'only this tenant (default: every tenant in the file)')
  .option('--message <text>', 'why; kept with the version')
  .option('--activate', 'activate it too (refused while it is pending review)')
  .action(run(() => import('./policy.js'), 'apply'));

const policy = program
  .command('policy')
  .description(
    'Policy versions: list, show, activate (rollback = activating an earlier one). Approval needs a key with ' +
      'scope policy:approve that did not create the version, so it goes through the API (`policy approve`).',
  );
const policyTarget = (c: Command) => c.requiredOption('--tenant <id>', 'tenant').addOption(dbOption());
policyTarget(policy.command('versions').description('Versions, newest first; * marks the active one'))
  .option('--limit <n>', 'how many', '20')
  .option('--json', 'JSON output')
  .action(run(() => import('./policy.js'), 'policyVersions'));
policyTarget(
  policy.command('show <version>').description('One version (pv_… id, number or "active") with its document'),
)
  .option('--json', 'JSON output')
  .action(run(() => import('./policy.js'), 'policyShow'));
policyTarget(
  policy
    .command('activate <version>')
    .description('Make a version the active one (a pending version must be approved first); audited as cli:<user>'),
)
  .option('--reason <text>', 'why; kept in the audit trail')
  .action(run(() => import('./policy.js'), 'policyActivate'));
policyTarget(policy.command('activations').description('Every change of the active version, newest first'))
  .option('--limit <n>', 'how many', '20')
  .option('--json', 'JSON output')
  .action(run(() => import('./policy.js'), 'policyActivations'));
policy
  .command('approve <version>')
  .description(
    'Approve a pending version through the running server’s API, with a key that has scope policy:approve and did not create it',
  )
  .addOption(urlOption())
  .option('--key <key>', 'the approving API key (default: env SWITCHYARD_API_KEY)')
  .action(run(() => import('./policy.js'), 'policyApprove'));

// Policy analysis (src/cli/policy-analysis.ts): `policy diff` joins the `policy` group, wherever it is declared.
const policyGroup = program.commands.find((c) => c.name() === 'policy') ?? program.command('policy');
policyGroup
  .command('diff <a> <b>')
  .description('What changed between two policy versions (pv_… id, number, "active" or a config file)')
  .option('--tenant <id>', 'tenant (default: the only one with policy versions)')
  .option('--json', 'JSON output')
  .addOption(dbOption())
  .action(run(() => import('./policy-analysis.js'), 'policyDiff'));
program
  .command('simulate')
  .description(
    'What the config’s policy would decide for recorded decisions (--from) or event files (--events), compared ' +
      'with what was decided; exits 1 on --fail-on-change or over --max-changed. Writes nothing.',
  )
  .addOption(configOption())
  .option('--tenant <id>', 'tenant (default: the first in the config)')
  .option(
    '--events <dir>',
    'JSON files: a Task, { task, snapshot?, now? }, { fixtures: [...] } or a raw source payload',
  )
  .addOption(
    new Option(
      '--from <url>',
      'a database whose recorded decisions are the "before" (sqlite:PATH or postgres://…)',
    ).argParser(storeUrl),
  )
  .option('--since <time>', 'with --from: decisions made at or after (RFC 3339)')
  .option('--until <time>', 'with --from: decisions made before (RFC 3339)')
  .option('--limit <n>', 'with --from: at most this many decisions (default 10000)')
  .option('--now <time>', 'with --events: the time events are decided at (default: now)')
  .option(
    '--integration <id>',
    'with --events: normalize raw payloads with this integration (default: the first with a transform)',
  )
  .option('--baseline <file>', 'with --events: a previous --json output to compare with')
  .option('--changed-only', 'list only changed events (totals still count all)')
  .option('--json', 'JSON output (the same report as the API)')
  .option('--fail-on-change', 'exit 1 when any decision would change')
  .option('--max-changed <pct>', 'exit 1 when more than this percentage of decisions would change')
  .action(run(() => import('./policy-analysis.js'), 'simulate'));
program
  .command('replay')
  .description('Decide every recorded decision again from what it recorded; exits 1 on any mismatch')
  .option('--verify', 'compare the replayed decisions and input hashes with the recorded ones (required)')
  .option('--tenant <id>', 'only this tenant')
  .option('--since <time>', 'only decisions made at or after (RFC 3339)')
  .option('--limit <n>', 'at most this many decisions per tenant')
  .option('--json', 'JSON output')
  .addOption(dbOption())
  .action(run(() => import('./policy-analysis.js'), 'replay'));

program
  .command('migrate')
  .description('Bring the database schema up to date')
  .addOption(dbOption())
  .action(run(() => import('./admin.js'), 'migrate'));

program.parseAsync().catch(exitWith);
