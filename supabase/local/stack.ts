// The docker-free local stack: a throwaway PostgreSQL cluster with the Supabase compatibility
// layer, our migrations applied by the real Supabase CLI, the edge functions served at
// /functions/v1/<name> by a stand-in for the edge runtime, and the pg_net stand-in's worker.
// Usage: deno run -A supabase/local/stack.ts start [--fresh] | status | stop [--reset]
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { localJwtSecret } from "../functions/_shared/env.ts";
import {
  chooseClusterDir,
  type ClusterPlace,
  clusterPlace,
  recordClusterDir,
  recordedClusterDir,
  sharedClustersDir,
} from "./cluster_place.ts";
import { parseEnv, repoRoot, type StackConfig, stackConfig } from "./config.ts";
import { CommandError, StackError, step, stepFailed } from "./start_failure.ts";

const pgBin = "/usr/lib/postgresql/15/bin";
const supabaseCli = join(repoRoot, "tools/node_modules/.bin/supabase");
const dbPassword = "postgres";

interface StackSecrets {
  publishableKey: string;
  secretKey: string;
  cronSecret: string;
  privateJwk: Record<string, unknown>;
  publicJwk: Record<string, unknown>;
}

const isRoot = Deno.uid() === 0;

function log(message: string) {
  console.error(`[stack] ${message}`);
}

async function run(
  cmd: string[],
  opts: { asPostgres?: boolean; env?: Record<string, string>; cwd?: string; quiet?: boolean } = {},
): Promise<string> {
  // PostgreSQL refuses to run as root: when we are root, its tools run as the `postgres` user.
  // It starts in / since the checkout may be a folder it cannot enter.
  const asPostgres = opts.asPostgres && isRoot;
  const argv = asPostgres ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: opts.cwd ?? (asPostgres ? "/" : repoRoot),
    env: opts.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new CommandError(cmd.join(" "), out.code, stderr || stdout);
  return stdout;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await Deno.readTextFile(file)).split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 && processAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function portInUse(port: number): boolean {
  try {
    const listener = Deno.listen({ hostname: "127.0.0.1", port });
    listener.close();
    return false;
  } catch {
    return true;
  }
}

export function dbUrl(config: StackConfig, user = "postgres"): string {
  return `postgresql://${user}:${dbPassword}@127.0.0.1:${config.dbPort}/postgres`;
}

async function loadSecrets(config: StackConfig): Promise<StackSecrets> {
  const file = join(config.dir, "secrets.json");
  if (await exists(file)) {
    const stored = JSON.parse(await Deno.readTextFile(file));
    // A stack from before the publishable and secret keys gets new secrets.
    if (stored.secretKey) return stored;
  }
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = crypto.randomUUID();
  const secrets: StackSecrets = {
    publishableKey: `sb_publishable_${randomKeyPart()}`,
    secretKey: `sb_secret_${randomKeyPart()}`,
    cronSecret: randomToken(),
    privateJwk: { ...await exportJWK(privateKey), kid, alg: "ES256", use: "sig" },
    publicJwk: { ...await exportJWK(publicKey), kid, alg: "ES256", use: "sig" },
  };
  await Deno.writeTextFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** 24 random bytes in base64url, as the random part of an API key. */
function randomKeyPart(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_");
}

/** A legacy API key: an HS256 JWT for the `anon` or `service_role` role. */
function legacyApiKey(role: "anon" | "service_role"): Promise<string> {
  return new SignJWT({ role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("supabase-demo")
    .setIssuedAt()
    .setExpirationTime("10y")
    .sign(new TextEncoder().encode(localJwtSecret));
}

/**
 * What a project that still uses the legacy JWT secret adds: the Supabase CLI's well-known local
 * secret, which the functions then accept HS256 tokens with, and the anon and service_role keys.
 */
export async function legacyJwtEnv(): Promise<Record<string, string>> {
  return {
    JWT_SECRET: localJwtSecret,
    SUPABASE_ANON_KEY: await legacyApiKey("anon"),
    SUPABASE_SERVICE_ROLE_KEY: await legacyApiKey("service_role"),
  };
}

/**
 * The stack's environment, as a 2026 Supabase project has it: user tokens signed with an ES256
 * key (public part in SUPABASE_JWKS) and `sb_publishable_`/`sb_secret_` API keys. The legacy HS256
 * secret only with STACK_LEGACY_JWT=1.
 */
async function stackEnv(config: StackConfig): Promise<Record<string, string>> {
  const secrets = await loadSecrets(config);
  const apiUrl = `http://127.0.0.1:${config.apiPort}`;
  return {
    STACK_NAME: config.name,
    SUPABASE_URL: apiUrl,
    FUNCTIONS_URL: `${apiUrl}/functions/v1`,
    SUPABASE_DB_URL: dbUrl(config),
    SUPABASE_ADMIN_DB_URL: dbUrl(config, "supabase_admin"),
    SUPABASE_PUBLISHABLE_KEY: secrets.publishableKey,
    SUPABASE_SECRET_KEY: secrets.secretKey,
    SUPABASE_JWKS: JSON.stringify({ keys: [secrets.publicJwk] }),
    JWT_PRIVATE_JWK: JSON.stringify(secrets.privateJwk),
    CRON_SECRET: secrets.cronSecret,
    OPENROUTER_MODELS_URL: Deno.env.get("OPENROUTER_MODELS_URL") ??
      "https://openrouter.ai/api/v1/models",
    ...(Deno.env.get("STACK_LEGACY_JWT") === "1" ? await legacyJwtEnv() : {}),
  };
}

async function postgresCanEnter(dir: string): Promise<boolean> {
  const out = await new Deno.Command("runuser", {
    args: ["-u", "postgres", "--", "test", "-x", dir],
    cwd: "/",
    stdout: "null",
    stderr: "null",
  }).output();
  return out.success;
}

/** /var/tmp/model-access, which only root may write: it holds clusters' folders by name. */
async function makeSharedClustersDir() {
  await Deno.mkdir(sharedClustersDir, { recursive: true });
  const info = await Deno.lstat(sharedClustersDir);
  if (!info.isDirectory || info.uid !== 0) {
    throw new StackError(
      `${sharedClustersDir} is not a directory owned by root; remove it and start again`,
    );
  }
  await Deno.chmod(sharedClustersDir, 0o755);
}

async function initCluster(config: StackConfig, place: ClusterPlace) {
  log(`creating a PostgreSQL 15 cluster in ${place.dataDir}`);
  if (place.dir !== config.dir) await makeSharedClustersDir();
  await Deno.remove(place.dataDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(place.dataDir, { recursive: true, mode: 0o700 });
  const pwfile = join(place.dir, "pwfile");
  await Deno.writeTextFile(pwfile, `${dbPassword}\n`, { mode: 0o600 });
  if (isRoot) await run(["chown", "-R", "postgres:postgres", place.dir]);
  await step(
    "initdb",
    `check that the postgres user can write ${place.dir}, or delete it and start again`,
    () =>
      run([
        `${pgBin}/initdb`,
        "-D",
        place.dataDir,
        "-U",
        "supabase_admin",
        "--auth=scram-sha-256",
        `--pwfile=${pwfile}`,
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
      ], { asPostgres: true }),
  );
  await Deno.remove(pwfile);
  // A throwaway cluster: durability off for speed; pg_cron preloaded and running jobs in
  // background workers (no libpq login needed), as on Supabase.
  const settings = [
    "listen_addresses = '127.0.0.1'",
    `port = ${config.dbPort}`,
    "unix_socket_directories = ''",
    "shared_preload_libraries = 'pg_cron'",
    "cron.database_name = 'postgres'",
    "cron.use_background_workers = on",
    "max_worker_processes = 32",
    "max_connections = 60",
    "fsync = off",
    "synchronous_commit = off",
    "full_page_writes = off",
    "log_line_prefix = '%m [%p] %u@%d '",
  ];
  const conf = join(place.dataDir, "postgresql.conf");
  await Deno.writeTextFile(conf, `\n# model-access local stack\n${settings.join("\n")}\n`, {
    append: true,
  });
}

async function startPostgres(place: ClusterPlace) {
  await step("starting PostgreSQL", `see ${place.logFile}`, () =>
    run([
      `${pgBin}/pg_ctl`,
      "-D",
      place.dataDir,
      "-l",
      place.logFile,
      "-w",
      "-t",
      "60",
      "start",
    ], { asPostgres: true }));
}

async function psqlFile(
  config: StackConfig,
  file: string,
  opts: { user?: string; vars?: Record<string, string> } = {},
) {
  const vars = Object.entries(opts.vars ?? {}).flatMap(([k, v]) => ["-v", `${k}=${v}`]);
  await run([
    `${pgBin}/psql`,
    dbUrl(config, opts.user ?? "supabase_admin"),
    "-v",
    "ON_ERROR_STOP=1",
    "-q",
    ...vars,
    "-f",
    file,
  ]);
}

/** Starts a background process detached from this one; returns its pid. */
async function spawnDetached(
  name: string,
  config: StackConfig,
  args: string[],
  env: Record<string, string>,
): Promise<number> {
  const logFile = join(config.dir, `${name}.log`);
  const quoted = [Deno.execPath(), ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`);
  const stdout = await run(
    ["sh", "-c", `setsid ${quoted.join(" ")} >> '${logFile}' 2>&1 < /dev/null & echo $!`],
    { env },
  );
  const pid = Number(stdout.trim());
  await Deno.writeTextFile(join(config.dir, `${name}.pid`), `${pid}\n`);
  return pid;
}

async function waitForHttp(url: string, pid: number, logFile: string) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) break;
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new StackError(`${url} did not come up within 30 s; see ${logFile}`);
}

async function isRunning(config: StackConfig): Promise<boolean> {
  const { dataDir } = clusterPlace(await recordedClusterDir(config));
  return (await readPid(join(dataDir, "postmaster.pid"))) !== undefined;
}

/** The stack's data: its folder and, when the cluster lives elsewhere, the cluster's folder. */
async function removeStackData(config: StackConfig) {
  const clusterDir = await recordedClusterDir(config);
  if (clusterDir !== config.dir) await Deno.remove(clusterDir, { recursive: true }).catch(() => {});
  await Deno.remove(config.dir, { recursive: true }).catch(() => {});
}

/**
 * Starts the stack's PostgreSQL cluster, creating it first if there is none (where the `postgres`
 * user can reach it, see cluster_place.ts). `created` tells whether it is new.
 */
export async function startCluster(
  config: StackConfig,
  opts: { fresh?: boolean } = {},
): Promise<{ created: boolean; place: ClusterPlace }> {
  if (opts.fresh) await removeStackData(config);
  for (const port of [config.dbPort, config.apiPort]) {
    if (portInUse(port)) {
      throw new StackError(
        `port ${port} on 127.0.0.1 is taken by another program; stop it or set STACK_DB_PORT / STACK_API_PORT.`,
      );
    }
  }
  await step(
    `creating ${config.dir}`,
    "check that the checkout is writable",
    () => Deno.mkdir(config.dir, { recursive: true }),
  );
  let place = clusterPlace(await recordedClusterDir(config));
  const created = !(await exists(join(place.dataDir, "PG_VERSION")));
  if (created) {
    place = clusterPlace(chooseClusterDir(config, !isRoot || await postgresCanEnter(config.dir)));
    await recordClusterDir(config, place.dir);
    await initCluster(config, place);
  }
  await startPostgres(place);
  log(`PostgreSQL listening on 127.0.0.1:${config.dbPort}`);
  return { created, place };
}

export async function startStack(config = stackConfig(), opts: { fresh?: boolean } = {}) {
  try {
    return await startServices(config, opts);
  } catch (error) {
    // A half-started stack is of no use and would pass for running on the next start.
    await stopStack(config, { quiet: true }).catch(() => {});
    throw stepFailed(
      `starting the "${config.name}" stack`,
      error,
      "`deno task stack:stop --reset` and start again",
    );
  }
}

async function startServices(config: StackConfig, opts: { fresh?: boolean }) {
  if (await isRunning(config)) {
    log(`the "${config.name}" stack is already running; \`deno task stack:status\` shows it.`);
    return parseEnv(await Deno.readTextFile(config.envFile));
  }
  const { created, place } = await startCluster(config, opts);
  if (created) {
    await step(
      "loading supabase/local/compat.sql",
      `see ${place.logFile}`,
      () => psqlFile(config, join(repoRoot, "supabase/local/compat.sql")),
    );
    log("loaded the Supabase compatibility layer (supabase/local/compat.sql)");
  }

  const env = await stackEnv(config);
  log("applying supabase/migrations and seed.sql with the Supabase CLI");
  await step(
    "applying the migrations (supabase db push)",
    "fix that statement in supabase/migrations or supabase/seed.sql and start again",
    () =>
      run([
        supabaseCli,
        "db",
        "push",
        `--db-url=${env.SUPABASE_DB_URL}`,
        "--include-seed",
        "--yes",
      ]),
  );
  await step(
    "storing the Vault secrets",
    `see ${place.logFile}`,
    () =>
      psqlFile(config, join(repoRoot, "supabase/local/vault_secrets.sql"), {
        user: "postgres",
        vars: { project_url: env.SUPABASE_URL, sync_models_secret: env.CRON_SECRET },
      }),
  );

  const childEnv = { ...Deno.env.toObject(), ...env, STACK_API_PORT: String(config.apiPort) };
  // The gateway starts each function's workers; they stay in its process group.
  const gatewayPid = await spawnDetached(
    "functions",
    config,
    ["run", "-A", join(repoRoot, "supabase/local/gateway.ts")],
    { ...childEnv, EDGE_LOG_DIR: config.dir },
  );
  await spawnDetached(
    "net-worker",
    config,
    ["run", "-A", join(repoRoot, "supabase/local/net_worker.ts")],
    childEnv,
  );
  await waitForHttp(`${env.SUPABASE_URL}/health`, gatewayPid, join(config.dir, "functions.log"));

  const lines = Object.entries(env).map(([k, v]) => `${k}='${v}'`);
  await Deno.writeTextFile(config.envFile, `${lines.join("\n")}\n`, { mode: 0o600 });
  printStatus(config, env, place);
  return env;
}

function printStatus(config: StackConfig, env: Record<string, string>, place: ClusterPlace) {
  console.log(
    [
      `The "${config.name}" stack is running.`,
      `  Functions:  ${env.FUNCTIONS_URL}/<name>`,
      `  Database:   ${env.SUPABASE_DB_URL}`,
      `  Env file:   ${config.envFile}  (all keys and secrets; \`deno task stack:status\`)`,
      `  Logs:       ${config.dir}/{functions,functions-<name>,net-worker}.log, ${place.logFile}`,
    ].join("\n"),
  );
}

export async function stackStatus(config = stackConfig()): Promise<string | undefined> {
  if (!(await isRunning(config))) return undefined;
  return await Deno.readTextFile(config.envFile).catch(() => undefined);
}

export async function stopStack(
  config = stackConfig(),
  opts: { reset?: boolean; quiet?: boolean } = {},
) {
  for (const name of ["functions", "net-worker"]) {
    const pid = await readPid(join(config.dir, `${name}.pid`));
    if (pid !== undefined) {
      // setsid made each child a process-group leader: stop the whole group.
      try {
        Deno.kill(-pid, "SIGTERM");
      } catch {
        Deno.kill(pid, "SIGTERM");
      }
    }
    await Deno.remove(join(config.dir, `${name}.pid`)).catch(() => {});
  }
  if (await isRunning(config)) {
    const { dataDir } = clusterPlace(await recordedClusterDir(config));
    await run([`${pgBin}/pg_ctl`, "-D", dataDir, "-m", "fast", "-w", "stop"], {
      asPostgres: true,
    });
  }
  await Deno.remove(config.envFile).catch(() => {});
  if (opts.reset) await removeStackData(config);
  if (opts.quiet) return;
  log(`the "${config.name}" stack is stopped${opts.reset ? " and its data removed" : ""}.`);
}

if (import.meta.main) {
  const [command, ...flags] = Deno.args;
  try {
    if (command === "start") {
      await startStack(stackConfig(), { fresh: flags.includes("--fresh") });
    } else if (command === "status") {
      const env = await stackStatus();
      if (env === undefined) {
        console.error(`The "${stackConfig().name}" stack is not running.`);
        Deno.exit(1);
      }
      console.log(env.trimEnd());
    } else if (command === "stop") {
      await stopStack(stackConfig(), { reset: flags.includes("--reset") });
    } else {
      console.error("usage: stack.ts start [--fresh] | status | stop [--reset]");
      Deno.exit(2);
    }
  } catch (error) {
    console.error(`[stack] ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
