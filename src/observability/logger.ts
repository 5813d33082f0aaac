import { type Logger, pino } from 'pino';

/**
 * JSON logs. Secrets never reach a log line (invariant 9): request logging is reduced to
 * method, url and status, and these paths are redacted wherever they appear.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.secret', '*.secrets', 'secret', 'apiKey'],
      censor: '[redacted]',
    },
  });
}
