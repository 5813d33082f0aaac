export interface ConfigProblem {
  /** JSON pointer into the document, e.g. /tenants/0/members/1/capacity */
  pointer: string;
  line?: number;
  column?: number;
  message: string;
}

/** Every problem found in a config file, each pointing at its path and line. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `invalid config ${source}:\n${problems
        .map((p) => `  ${source}${p.line ? `:${p.line}:${p.column ?? 1}` : ''} ${p.pointer || '/'}: ${p.message}`)
        .join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}
