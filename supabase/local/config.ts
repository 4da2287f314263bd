// Where a local stack lives and how to reach it. Shared by the stack runner, the dev command,
// the test runner, tests and benchmarks, so none of them repeats paths, ports or URLs.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface StackConfig {
  name: string;
  dir: string;
  envFile: string;
  dbPort: number;
  apiPort: number;
}

/**
 * Each named stack has its own folder and ports, so the test stack never collides with `dev`.
 * `dev` uses Supabase's ports; the test and bench stacks stay below Linux's ephemeral port range
 * (32768 and up), where an outgoing connection could hold the port and make the bind fail.
 */
const defaultPorts: Record<string, { db: number; api: number }> = {
  dev: { db: 54322, api: 54321 },
  test: { db: 25322, api: 25321 },
  bench: { db: 26322, api: 26321 },
};

function portFromEnv(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new Error(`${name} must be a port number between 1024 and 65535, got "${raw}"`);
  }
  return port;
}

export function stackConfig(name = Deno.env.get("STACK_NAME") ?? "dev"): StackConfig {
  const ports = defaultPorts[name] ?? defaultPorts.dev;
  const dir = join(repoRoot, ".local", name);
  return {
    name,
    dir,
    envFile: join(dir, "stack.env"),
    dbPort: portFromEnv("STACK_DB_PORT", ports.db),
    apiPort: portFromEnv("STACK_API_PORT", ports.api),
  };
}

/** Reads `.local/<name>/stack.env` as written by `stack:start`. */
export async function readStackEnv(config = stackConfig()): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await Deno.readTextFile(config.envFile);
  } catch {
    throw new Error(
      `No running "${config.name}" stack (${config.envFile} is missing): run \`deno task stack:start\` first.`,
    );
  }
  return parseEnv(text);
}

export function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match) env[match[1]] = match[2].replace(/^'(.*)'$/, "$1");
  }
  return env;
}
