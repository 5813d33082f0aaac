/**
 * The CLI's exit codes, one meaning each (README "Command line"), and the one place that turns
 * whatever ended a command into a line on stderr and a code:
 *
 * - 0 `ok`: done.
 * - 1 `failed`: the command ran and the answer is no: a gate or check failed (simulate
 *   --fail-on-change / --max-changed, replay --verify mismatches, audit verify tampering,
 *   functions test not ok), or the store refused the action or has no such thing (no policy
 *   version 99, an activation pending review, a manifest that cannot be stored, send answered
 *   with a non-2xx).
 * - 2 `usage`: the command could not run as given: an unknown command or option, a bad flag
 *   value, a missing or unreadable file, an invalid config, a store that does not exist or
 *   cannot be reached.
 * - 3 `internal`: anything else (a bug): one line, the stack trace with DEBUG=1 or --verbose.
 */
import { CommanderError } from 'commander';
import { ConfigError } from '../config/config-error.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Ends a command with one line on stderr (prefixed `switchyard:`) and its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The command's answer is no (exit 1), or, with `EXIT.usage`, it could not run as given (exit 2). */
export function fail(message: string, code: ExitCode = EXIT.failed): never {
  throw new CliError(message, code);
}

/** The command could not run as given (exit 2). */
export function usage(message: string): never {
  throw new CliError(message, EXIT.usage);
}

/** Node and driver error codes that mean the store (or a server) is not there: the user's input, not a bug. */
const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'timed out',
  '3D000': 'database does not exist',
  '28P01': 'password authentication failed',
  '28000': 'not authorised',
};

const verbose = () => Boolean(process.env.DEBUG) || process.argv.includes('--verbose');

/** The exit code and message for whatever a command threw; commander has printed its own errors already. */
export function describeError(e: unknown): { code: ExitCode; message?: string } {
  if (e instanceof CommanderError) return { code: e.exitCode === 0 ? EXIT.ok : EXIT.usage };
  if (e instanceof CliError) return { code: e.exitCode, message: `switchyard: ${e.message}` };
  if (e instanceof ConfigError) return { code: EXIT.usage, message: e.message };
  // fetch() wraps the socket's error in `cause`; pg and node:net put the code on the error itself.
  for (const err of [e, (e as { cause?: unknown } | null)?.cause]) {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code in UNREACHABLE) {
      const detail = (err as Error).message || UNREACHABLE[code];
      return { code: EXIT.usage, message: `switchyard: cannot reach the store or server: ${detail}` };
    }
  }
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return {
    code: EXIT.internal,
    message: verbose()
      ? `switchyard: ${(e as Error)?.stack ?? message}`
      : `switchyard: unexpected error: ${message.split('\n')[0]} (DEBUG=1 prints the stack trace)`,
  };
}

/** Print what ended the command and exit with its code. */
export function exitWith(e: unknown): never {
  const { code, message } = describeError(e);
  if (message) process.stderr.write(`${message}\n`);
  process.exit(code);
}
