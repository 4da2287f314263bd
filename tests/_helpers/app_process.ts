// Runs a helper script in a subprocess with exactly the environment given (plus what Deno needs to
// run), returning the `{"result": ...}` it printed last and the JSON log lines it printed. For
// environments the running stack does not have: misconfiguration, log levels.
import assert from "node:assert/strict";
import { join } from "node:path";
import { repoRoot } from "../../supabase/local/config.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** Runs `tests/_helpers/<script>` with `args`; its stdout and stderr are read for JSON lines. */
export async function runScript(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ result: Json; logs: Json[] }> {
  const inherited: Record<string, string> = {};
  for (const name of ["HOME", "PATH", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) inherited[name] = value;
  }
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(repoRoot, "tests/_helpers", script), ...args],
    cwd: repoRoot,
    clearEnv: true,
    env: { ...inherited, ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = [
    ...new TextDecoder().decode(output.stdout).split("\n"),
    ...new TextDecoder().decode(output.stderr).split("\n"),
  ].filter((line) => line.startsWith("{"));
  const parsed = lines.map((line) => JSON.parse(line));
  const result = parsed.find((entry) => "result" in entry)?.result;
  assert.ok(result, `no result; output:\n${lines.join("\n")}`);
  return { result, logs: parsed.filter((entry) => "level" in entry) };
}

/** One request through a function's app (tests/_helpers/call_app.ts): its response and logs. */
export async function callApp(
  env: Record<string, string>,
  fn: string,
  method: string,
  authorization?: string,
  path = "",
) {
  const { result, logs } = await runScript("call_app.ts", [
    fn,
    method,
    path,
    ...(authorization ? [authorization] : []),
  ], env);
  return { ...result, logs };
}
