// Error classes that decide the CLI's exit code, and one-line descriptions of API errors.

/** An error whose message says everything: reporters print it without a stack trace. */
class MessageOnlyError extends Error {
  constructor(message: string) {
    super(message);
    this.stack = `${new.target.name}: ${message}`;
  }
}

/** A problem with what the user gave us or with reaching the cluster: exit code 2, one line, no stack trace. */
export class ConfigurationError extends MessageOnlyError {
  override readonly name: string = 'ConfigurationError';
}

/** A bounded wait that ran out; its message carries the last observed state. */
export class TimeoutError extends MessageOnlyError {
  override readonly name = 'TimeoutError';
}

/** The run was interrupted (SIGINT/SIGTERM); waits stop with this instead of waiting out their bound. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}

interface ApiLikeError {
  code?: unknown;
  body?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** HTTP status of a client-node ApiException, if the error is one. */
export function httpStatusOf(error: unknown): number | undefined {
  const candidate = error as ApiLikeError | null;
  return candidate && typeof candidate.code === 'number' && candidate.code >= 100 && candidate.code < 600
    ? candidate.code
    : undefined;
}

/** The Kubernetes Status message inside an ApiException body (a JSON string or an object), else the error message. */
export function describeError(error: unknown): string {
  if (error === null || error === undefined) return String(error);
  if (typeof error !== 'object') return String(error);
  const candidate = error as ApiLikeError;
  const status = httpStatusOf(error);
  if (status !== undefined) {
    const message = statusMessageOf(candidate.body);
    return message ? `HTTP ${status}: ${message}` : `HTTP ${status}`;
  }
  const base = typeof candidate.message === 'string' ? candidate.message : String(error);
  const cause = candidate.cause as { code?: unknown; message?: unknown } | undefined;
  if (cause && typeof cause === 'object') {
    const causeText = typeof cause.code === 'string' ? cause.code : typeof cause.message === 'string' ? cause.message : '';
    if (causeText && !base.includes(causeText)) return `${base} (${causeText})`;
  }
  return base;
}

function statusMessageOf(body: unknown): string | undefined {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim() === '' ? undefined : body.trim();
    }
  }
  if (parsed && typeof parsed === 'object' && 'message' in parsed) {
    const message = (parsed as { message: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return undefined;
}
