/**
 * RFC 9457 problem details: one error type, one constructor per kind. The `type` is a stable
 * URN clients may switch on (listed in docs/problems.md); `detail` is for humans.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'Problem';
  }

  get type(): string {
    return `urn:switchyard:problem:${this.slug}`;
  }

  toJSON(): ProblemBody {
    return { type: this.type, title: this.title, status: this.status, detail: this.detail, ...this.extensions };
  }

  static badRequest(slug: string, detail: string, extensions?: Record<string, unknown>): Problem {
    return new Problem(400, slug, 'Bad request', detail, extensions);
  }
  static unauthorized(slug: string, detail: string): Problem {
    return new Problem(401, slug, 'Unauthorized', detail);
  }
  static notFound(slug: string, detail: string): Problem {
    return new Problem(404, slug, 'Not found', detail);
  }
  static payloadTooLarge(detail: string): Problem {
    return new Problem(413, 'payload-too-large', 'Payload too large', detail);
  }
  static unsupportedMediaType(detail: string): Problem {
    return new Problem(415, 'unsupported-media-type', 'Unsupported media type', detail);
  }
  static unprocessable(slug: string, detail: string, extensions?: Record<string, unknown>): Problem {
    return new Problem(422, slug, 'Unprocessable content', detail, extensions);
  }
  static unavailable(slug: string, detail: string): Problem {
    return new Problem(503, slug, 'Service unavailable', detail);
  }
}
