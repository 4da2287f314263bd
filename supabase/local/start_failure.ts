// A failed stack start is reported as one line: what failed, why (the line of the tool's output
// that says so), and what to do. The entry points (stack.ts, scripts/dev.ts, scripts/test.ts)
// print that line instead of a stack trace.

/** A command that exited non-zero, with what it printed. */
export class CommandError extends Error {
  constructor(readonly command: string, readonly exitCode: number, readonly output: string) {
    super(`${command} failed (exit ${exitCode}): ${keyLine(output)}`);
    this.name = "CommandError";
  }
}

/** A failed start, as the one line to show. */
export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackError";
  }
}

/**
 * The line of a tool's output that says what went wrong: the first that reads as an error
 * (initdb's `initdb: error: ...`, psql's `ERROR: ...`, pg_ctl's `FATAL: ...`), else the last one.
 */
export function keyLine(output: string): string {
  const lines = output.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  const line = lines.find((l) => /\b(error|fatal|panic)\b/i.test(l)) ?? lines.at(-1) ?? "";
  return line.length > 300 ? `${line.slice(0, 297)}...` : line || "no output";
}

function reason(error: unknown): string {
  if (error instanceof CommandError) return keyLine(error.output);
  return keyLine(error instanceof Error ? error.message : String(error));
}

/** `<what> failed: <why>; <what to do>`, on one line. */
export function stepFailed(what: string, error: unknown, todo: string): StackError {
  if (error instanceof StackError) return error;
  return new StackError(`${what} failed: ${reason(error)}; ${todo}`);
}

/** Runs one step of a start; a failure becomes a StackError naming the step and what to do. */
export async function step<T>(what: string, todo: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw stepFailed(what, error, todo);
  }
}
