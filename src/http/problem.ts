/**
 * RFC 9457 problem details: one error type, one constructor per status. The `type` is a stable
 * URN clients may switch on; every slug, with its status and title, is declared once in
 * ./problems.ts (and described in docs/problems.md). The constructors accept only catalog slugs
 * of their status, so a typo or a 404 slug raised as a 409 does not compile. `detail` is for
 * humans.
 */
import { PROBLEMS, type ProblemSlug, type SlugWithStatus } from './problems.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

type Extensions = Record<string, unknown>;

export class Problem extends Error {
  readonly status: number;
  readonly title: string;

  private constructor(
    readonly slug: ProblemSlug,
    readonly detail: string,
    readonly extensions: Extensions = {},
    status?: number,
  ) {
    super(detail);
    this.name = 'Problem';
    this.status = status ?? PROBLEMS[slug].status;
    this.title = PROBLEMS[slug].title;
  }

  get type(): string {
    return `urn:switchyard:problem:${this.slug}`;
  }

  toJSON(): ProblemBody {
    return { type: this.type, title: this.title, status: this.status, detail: this.detail, ...this.extensions };
  }

  /** A constructor for the catalog slugs of one status (so `conflict('task-not-found', …)` does not compile). */
  private static withStatus<S extends number>() {
    return (slug: SlugWithStatus<S>, detail: string, extensions?: Extensions): Problem =>
      new Problem(slug, detail, extensions);
  }
  static readonly badRequest = Problem.withStatus<400>();
  static readonly unauthorized = Problem.withStatus<401>();
  static readonly forbidden = Problem.withStatus<403>();
  static readonly notFound = Problem.withStatus<404>();
  static readonly conflict = Problem.withStatus<409>();
  static readonly payloadTooLarge = Problem.withStatus<413>();
  static readonly uriTooLong = Problem.withStatus<414>();
  static readonly unsupportedMediaType = Problem.withStatus<415>();
  static readonly unprocessable = Problem.withStatus<422>();
  static readonly internal = Problem.withStatus<500>();
  static readonly unavailable = Problem.withStatus<503>();

  /**
   * Another 4xx the HTTP layer raised (not one of fastify's errors the handler maps): type
   * `bad-request` with the status the error carries (400 for every one fastify raises itself).
   */
  static otherClientError(status: number, detail: string): Problem {
    if (status < 400 || status > 499) throw new RangeError(`otherClientError: ${status} is not a 4xx status`);
    return new Problem('bad-request', detail, {}, status);
  }
}
