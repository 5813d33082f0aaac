#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (Node 20 cannot strip types itself).
//
// The function sandbox (isolated-vm) requires `--no-node-snapshot` on Node 20+ (see
// docs/functions-sandbox.md). The commands that may create isolates (SANDBOX_COMMANDS), started
// by a node without the flag (`switchyard …` through the shebang, `node bin/switchyard.mjs …`),
// run in a child that has it, with signals and the exit code passed through. Every other
// command (--help, tasks, send, keys, audit, policy, …) never creates an isolate and runs in
// this process: a second node start costs more than the rest of `switchyard tasks`.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FLAG = '--no-node-snapshot';
/** serve runs decisions; functions push parses sources and test runs them; simulate and replay decide again. */
const SANDBOX_COMMANDS = new Set(['serve', 'functions', 'simulate', 'replay']);

const hasFlag = process.execArgv.includes(FLAG) || (process.env.NODE_OPTIONS ?? '').split(/\s+/).includes(FLAG);
const args = process.argv.slice(2);
const command = args.find((a) => !a.startsWith('-'));
const helpOnly = command === undefined || command === 'help' || args.includes('--help') || args.includes('-h');
const needsFlag = !helpOnly && SANDBOX_COMMANDS.has(command);

if (hasFlag || !needsFlag) {
  // kysely is ~400 small ES modules; imported before tsx registers, they skip tsx's loader hooks,
  // which otherwise run for each of them (`switchyard tasks`: 640 → 400 ms of CPU on this machine).
  // Every command but help and `send` opens the store, so they all need it; the module is shared.
  if (!helpOnly && command !== 'send') await import('kysely');
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
} else {
  const child = spawn(
    process.execPath,
    [FLAG, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (signal) => child.kill(signal);
  for (const s of signals) process.on(s, forward);
  child.on('exit', (code, signal) => {
    for (const s of signals) process.off(s, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
