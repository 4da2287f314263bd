// Benchmark 2: GET /functions/v1/models under load (wrk, 50 connections), legacy and enhanced,
// for an enterprise user with ~400 active models, against a bare Deno.serve answering the same
// bytes; plus the peak RSS of the functions process.
import { join } from "node:path";
import { repoRoot, type StackConfig } from "../supabase/local/config.ts";
import { adminDb } from "../tests/_helpers/stack.ts";
import { createUser, deleteUsers } from "../tests/_helpers/users.ts";
import { syntheticCatalog } from "./catalog.ts";

export interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  bodyBytes: number;
}

export interface ModeFigures {
  ours: LoadFigures;
  /** Bare Deno.serve answering the same bytes. */
  ceiling: LoadFigures;
  /** The same, also reading Authorization and sending our response headers. */
  contract: LoadFigures;
}

export interface HttpFigures {
  models: number;
  legacy: ModeFigures;
  enhanced: ModeFigures;
  peakRssMb: number;
}

const connections = 50;
const seconds = 10;
/** An unmeasured run first, for both servers alike: JIT-compiled code and warm caches. */
const warmUpSeconds = 3;

function latencyMs(text: string, percentile: string): number {
  const match = new RegExp(`^\\s+${percentile}%\\s+([\\d.]+)(us|ms|s)$`, "m").exec(text);
  if (!match) return NaN;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

async function wrk(url: string, headers: Record<string, string>, bodyBytes: number) {
  const headerArgs = Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  const load = (duration: number, ...extra: string[]) =>
    new Deno.Command("wrk", {
      args: ["-t2", `-c${connections}`, `-d${duration}s`, ...extra, ...headerArgs, url],
      stdout: "piped",
    }).output();
  await load(warmUpSeconds);
  const out = await load(seconds, "--latency");
  const text = new TextDecoder().decode(out.stdout);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  if (!out.success || !rps || non2xx) throw new Error(`wrk failed or saw errors:\n${text}`);
  return {
    requestsPerSecond: rps,
    p50Ms: latencyMs(text, "50"),
    p99Ms: latencyMs(text, "99"),
    bodyBytes,
  };
}

/**
 * Runs `fn` against bench/ceiling.ts serving `body`: bare, or, given `contract`, also reading the
 * Authorization header and answering with the response headers our function sent (what the API
 * requires of any server, before routing, auth or caching).
 */
async function withCeiling<T>(
  config: StackConfig,
  body: Uint8Array,
  contract: Headers | undefined,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeFile(file, body);
  const headersFile = await Deno.makeTempFile({ suffix: ".json" });
  const sent = [...(contract ?? [])].filter(([name]) => !["date", "content-length"].includes(name));
  await Deno.writeTextFile(headersFile, JSON.stringify(Object.fromEntries(sent)));
  const port = config.apiPort + 79;
  const args = [file, String(port), ...(contract ? [headersFile] : [])];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(repoRoot, "bench/ceiling.ts"), ...args],
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read();
  try {
    return await fn(`http://127.0.0.1:${port}/`);
  } finally {
    reader.releaseLock();
    child.kill();
    await child.status;
    await Deno.remove(file);
    await Deno.remove(headersFile);
  }
}

async function peakRssMb(config: StackConfig): Promise<number> {
  const pid = (await Deno.readTextFile(join(config.dir, "functions.pid"))).trim();
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

export async function benchHttp(
  config: StackConfig,
  functionsUrl: string,
  modelCount: number,
): Promise<HttpFigures> {
  const sql = await adminDb();
  const catalog = await syntheticCatalog(modelCount);
  await sql`truncate public.model_access cascade`;
  await sql.begin(async (tx) => {
    await tx`select set_config('role', 'service_role', true)`;
    await tx`select public.sync_openrouter_models(${
      JSON.stringify(catalog)
    }::text::jsonb, 'manual', true)`;
  });
  await sql`update public.model_access set status = 'active', is_enterprise = true`;
  const user = await createUser({ tier: "enterprise", label: "bench" });
  try {
    const run = async (query: string) => {
      const url = `${functionsUrl}/models${query}`;
      const response = await fetch(url, { headers: user.headers });
      const body = new Uint8Array(await response.arrayBuffer());
      if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
      const ours = await wrk(url, user.headers, body.length);
      const ceiling = await withCeiling(
        config,
        body,
        undefined,
        (ceilingUrl) => wrk(ceilingUrl, {}, body.length),
      );
      const contract = await withCeiling(
        config,
        body,
        response.headers,
        (ceilingUrl) => wrk(ceilingUrl, user.headers, body.length),
      );
      return { ours, ceiling, contract };
    };
    const legacy = await run("");
    const enhanced = await run("?enhanced=true");
    return { models: modelCount, legacy, enhanced, peakRssMb: await peakRssMb(config) };
  } finally {
    await deleteUsers(user);
  }
}
