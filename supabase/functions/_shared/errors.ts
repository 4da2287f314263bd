// The one error shape every function answers with: `{ "error": { "code", "message", "details"? } }`.
// Codes are lowercase snake_case and stable (clients switch on them); messages are for humans and
// never carry SQL, stack traces or secrets: those go to the log only.

export type ErrorCode =
  | "auth_required"
  | "invalid_token"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "invalid_request"
  | "invalid_json"
  | "payload_too_large"
  | "conflict"
  | "integrity_gate"
  | "rate_limited"
  | "quota_exceeded"
  | "upstream_unavailable"
  | "timeout"
  | "server_misconfigured"
  | "internal_error";

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** An error meant for the client: thrown anywhere, turned into a response by the error handler. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly options: {
      details?: unknown;
      headers?: Record<string, string>;
      /** What the log gets beside the message (never sent to the client). */
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "HttpError";
  }

  body(): ErrorBody {
    const { details } = this.options;
    return {
      error: details === undefined
        ? { code: this.code, message: this.message }
        : { code: this.code, message: this.message, details },
    };
  }
}

export const notFound = (message: string, details?: unknown) =>
  new HttpError(404, "not_found", message, { details });

export const internalError = (cause: unknown) =>
  new HttpError(500, "internal_error", "Internal server error; see the function log.", { cause });

/** Mapping of the SQLSTATEs our database functions raise on purpose to client errors. */
const sqlStates: Record<string, [number, ErrorCode, string]> = {
  "42501": [403, "forbidden", "Not allowed."],
  "P0002": [404, "not_found", "Not found."],
  "22023": [400, "invalid_request", "Invalid value."],
  "23514": [400, "invalid_request", "Invalid value."],
  "23502": [400, "invalid_request", "A required value is missing."],
  "22P02": [400, "invalid_request", "Invalid value."],
  "22003": [400, "invalid_request", "A value is out of range."],
  "55P03": [409, "conflict", "Another operation holds the lock; retry shortly."],
  "40001": [409, "conflict", "Concurrent update; retry."],
  "57014": [503, "timeout", "The database took too long to answer; retry shortly."],
};

/** Turns anything thrown into an HttpError; database errors keep their meaning, not their text. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code in sqlStates) {
    const [status, errorCode, message] = sqlStates[code];
    return new HttpError(status, errorCode, message, { cause: error });
  }
  return internalError(error);
}
