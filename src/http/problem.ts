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

  static badRequest(slug: SlugWithStatus<400>, detail: string, extensions?: Extensions): Problem {
    return new Problem(slug, detail, extensions);
  }
  static unauthorized(slug: SlugWithStatus<401>, detail: string, extensions?: Extensions): Problem {
    return new Problem(slug, detail, extensions);
  }
  static forbidden(slug: SlugWithStatus<403>, detail: string, extensions?: Extensions): Problem {
    return new Problem(slug, detail, extensions);
  }
  static notFound(slug: SlugWithStatus<404>, detail: string, extensions?: Extensions): Problem {
    return new Problem(slug, detail, extensions);
  }
  static conflict(slug: SlugWithStatus<409>, detail: string, extensions?: Extensions): Problem {
    return new Problem(slug, detail, extensions);
  }
  static payloadTooLarge(slug: SlugWithStatus<413>, detail: string, extensions?: Extensions): Problem {
    return new Problem(slug, detail, extensions);
  }
  static unsupportedMediaType(slug: SlugWithStatus<415>, detail: string, extensions?: Extensions): Problem {
    return new Problem(slug, detail, extensions);
  }
  static unprocessable(slug: SlugWithStatus<422>, detail: string, extensions?: Extensions): Problem {
    return new Problem(slug, detail, extensions);
  }
  static internal(slug: SlugWithStatus<500>, detail: string): Problem {
    return new Problem(slug, detail);
  }
  static unavailable(slug: SlugWithStatus<503>, detail: string, extensions?: Extensions): Problem {
    return new Problem(slug, detail, extensions);
  }
  /**
   * Another 4xx the HTTP layer raised (not one of fastify's errors the handler maps): type
   * `bad-request` with the status the error carries (400 for every one fastify raises itself).
   */
  static otherClientError(status: number, detail: string): Problem {
    if (status < 400 || status > 499) throw new RangeError(`otherClientError: ${status} is not a 4xx status`);
    return new Problem('bad-request', detail, {}, status);
  }
}
