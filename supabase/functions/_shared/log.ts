// Structured logs: one JSON object per line, which Supabase's log explorer indexes. Every line of a
// request carries the function name and the request id (also sent as the X-Request-Id header).

export type LogLevel = "debug" | "info" | "warn" | "error";

const levels: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function threshold(): number {
  const raw = Deno.env.get("LOG_LEVEL")?.toLowerCase();
  return raw !== undefined && raw in levels ? levels[raw as LogLevel] : levels.info;
}

const minLevel = threshold();

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  /** Whether lines of `level` are written (LOG_LEVEL): callers can skip building their fields. */
  enabled(level: LogLevel): boolean;
}

/** Error objects as loggable fields (message, SQLSTATE, stack) without their enumerable noise. */
export function errorFields(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error: String(error) };
  const fields: LogFields = { error: error.message, error_name: error.name };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) fields.error_code = code;
  const detail = (error as { detail?: unknown }).detail;
  if (detail !== undefined) fields.error_detail = detail;
  if (error.stack) fields.stack = error.stack;
  if (error.cause !== undefined) fields.cause = errorFields(error.cause);
  return fields;
}

/** Methods on a prototype: a request's child logger is one small object, not six closures. */
class JsonLogger implements Logger {
  constructor(private readonly base: LogFields) {}

  enabled(level: LogLevel): boolean {
    return levels[level] >= minLevel;
  }

  debug(msg: string, fields?: LogFields) {
    this.write("debug", msg, fields);
  }

  info(msg: string, fields?: LogFields) {
    this.write("info", msg, fields);
  }

  warn(msg: string, fields?: LogFields) {
    this.write("warn", msg, fields);
  }

  error(msg: string, fields?: LogFields) {
    this.write("error", msg, fields);
  }

  child(fields: LogFields): Logger {
    return new JsonLogger({ ...this.base, ...fields });
  }

  private write(level: LogLevel, msg: string, fields?: LogFields) {
    if (!this.enabled(level)) return;
    const line = JSON.stringify({
      level,
      msg,
      ...this.base,
      ...fields,
      time: new Date().toISOString(),
    });
    if (level === "error") console.error(line);
    else console.log(line);
  }
}

export function createLogger(base: LogFields): Logger {
  return new JsonLogger(base);
}
