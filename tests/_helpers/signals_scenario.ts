// Drives supabase/functions/_shared/cache_signals.ts through one scenario in a process of its own
// (its environment is read once per process) and prints `{"result": {...}}` as the last line.
// Usage: deno run -A tests/_helpers/signals_scenario.ts <scenario> (env: the stack's, plus
// ADMIN_DB_URL for the scenarios that need a superuser). Scenarios:
//   lifecycle: trust starts with a reset, a database signal arrives, an idle spell keeps trust,
//              a killed listening connection resets and trust comes back
//   unreachable: probes that cannot come back (DB_LISTEN_URL elsewhere) never give trust
//   pooler: SUPABASE_DB_URL on port 6543 (the transaction pooler) is not listened on
import postgres from "postgres";
import {
  announce,
  signalsTrusted,
  stopSignals,
  subscribe,
} from "../../supabase/functions/_shared/cache_signals.ts";

const signals: string[] = [];
subscribe((signal) => signals.push(signal));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls signalsTrusted (as requests would) every 50 ms until it answers `want` or time is up. */
async function until(want: boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (signalsTrusted() === want) return true;
    await sleep(50);
  }
  return false;
}

async function lifecycle() {
  const admin = postgres(Deno.env.get("ADMIN_DB_URL")!, { max: 1, onnotice: () => {} });
  const result: Record<string, unknown> = {};
  result.trustedAtStart = signalsTrusted();
  result.becameTrusted = await until(true, 5_000);
  result.resetWhenTrusted = signals.includes("reset");

  signals.length = 0;
  await admin`select pg_notify('model_access_cache', 'tier:00000000-0000-4000-a000-00000000beef')`;
  await sleep(300);
  result.databaseSignal = [...signals];

  signals.length = 0;
  announce("usage:00000000-0000-4000-a000-00000000beef");
  result.announced = [...signals];

  signals.length = 0;
  await sleep(7_000); // idle, longer than a probe may be overdue: no request, no probe
  result.trustedAfterIdle = signalsTrusted();
  await sleep(300);
  result.signalsAfterIdle = [...signals];

  signals.length = 0;
  await admin`
    select pg_terminate_backend(pid) from pg_stat_activity
     where application_name = 'model-access-cache-signals'`;
  result.resetAfterReconnect = await (async () => {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !signals.includes("reset")) {
      signalsTrusted();
      await sleep(50);
    }
    return signals.includes("reset");
  })();
  result.trustedAgain = await until(true, 5_000);
  await admin.end();
  return result;
}

async function unreachable() {
  return {
    trustedWithin5s: await until(true, 5_000),
    signals: [...signals],
  };
}

// deno-lint-ignore require-await
async function pooler() {
  return { trusted: signalsTrusted() };
}

const scenarios: Record<string, () => Promise<Record<string, unknown>>> = {
  lifecycle,
  unreachable,
  pooler,
};
const result = await scenarios[Deno.args[0]]();
await stopSignals();
console.log(JSON.stringify({ result }));
Deno.exit(0);
