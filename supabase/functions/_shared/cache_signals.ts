// Cache signals from Postgres: NOTIFY on channel `model_access_cache` (migration 1700) says when
// the catalog (`catalog`), a user's tier (`tier:<uuid>`) or a user's quota usage (`usage:<uuid>`)
// changed, so in-memory caches can drop exactly what went stale.
//
// Signals are trusted only while they demonstrably arrive: while serving, the isolate sends
// itself a probe through its pool every few seconds, and trusts the signals from the first probe
// that comes back over the listening connection until a probe is overdue. Behind a transaction
// pooler (which cannot deliver notifications), with DB_LISTEN_URL=off, or when the listening
// connection is lost, callers check with the database instead. Whenever trust starts (again), and
// whenever the listening connection is re-established, subscribers get `reset`: signals may have
// been missed meanwhile.
import postgres from "postgres";
import { db } from "./db.ts";
import { type Env, getEnv } from "./env.ts";
import { createLogger } from "./log.ts";

export const channel = "model_access_cache";

/** What subscribers receive besides the database's payloads: forget everything. */
export const reset = "reset";

const probeEveryMs = 2_000;
/** A probe not back after this long means signals are not arriving. */
const probeOverdueMs = 3_000;
/** Overdue for this long: the listening connection is opened anew. */
const relistenAfterMs = 15_000;

type Subscriber = (signal: string) => void;

const subscribers = new Set<Subscriber>();
const log = createLogger({ module: "cache_signals" });
const instance = crypto.randomUUID();

let listener: postgres.Sql | undefined;
let listenStartedAt = -Infinity;
let probeSentAt = -Infinity;
let probeSeq = 0;
/** Probes sent and not back yet, with their send times. */
const probesInFlight = new Map<string, number>();
const probeWaiters = new Map<string, () => void>();
/** True from a probe's return until a probe is overdue or the connection is re-established. */
let trusted = false;

/** Receives every signal, and `reset` whenever signals may have been missed. */
export function subscribe(fn: Subscriber): void {
  subscribers.add(fn);
}

/**
 * Delivers a signal for a change this isolate has just committed itself, at once: its caller then
 * reads its own write, without waiting for the database's copy of the signal.
 */
export function announce(signal: string): void {
  deliver(signal);
}

function deliver(signal: string) {
  for (const fn of subscribers) fn(signal);
}

function onNotify(payload: string) {
  if (!payload.startsWith("probe:")) return deliver(payload);
  if (!probesInFlight.delete(payload)) return; // another isolate's probe, or one given up on
  probeWaiters.get(payload)?.();
  if (!trusted) {
    trusted = true;
    deliver(reset);
  }
}

function listen(url: string) {
  listenStartedAt = performance.now();
  trusted = false;
  probesInFlight.clear();
  const sql = postgres(url, {
    max: 1,
    prepare: false,
    onnotice: () => {},
    connection: { application_name: "model-access-cache-signals" },
  });
  listener = sql;
  // postgres.js calls the last argument on every (re)connection of the listening connection.
  sql.listen(channel, onNotify, () => {
    trusted = false;
    deliver(reset);
    probesInFlight.clear(); // sent before this LISTEN took effect: they cannot arrive
    sendProbe(performance.now());
  }).catch((error) => {
    log.warn("cannot listen for cache signals; checking with the database instead", {
      error: error instanceof Error ? error.message : String(error),
    });
  });
}

function sendProbe(now: number): string {
  probeSentAt = now;
  const payload = `probe:${instance}:${++probeSeq}`;
  probesInFlight.set(payload, now);
  db()`select pg_notify(${channel}, ${payload})`.catch(() => {/* the probe will be overdue */});
  return payload;
}

/**
 * Where to LISTEN, or null for nowhere: DB_LISTEN_URL (`off`: nowhere), else SUPABASE_DB_URL
 * unless it is Supavisor's transaction mode (port 6543), which cannot deliver notifications.
 * Decided once per isolate, like the environment it comes from.
 */
let listenTarget: string | null | undefined;

function listenUrl(env: Env): string | null {
  if (listenTarget !== undefined) return listenTarget;
  if (env.DB_LISTEN_URL !== undefined) {
    listenTarget = env.DB_LISTEN_URL === "off" ? null : env.DB_LISTEN_URL;
  } else if (new URL(env.SUPABASE_DB_URL).port !== "6543") {
    listenTarget = env.SUPABASE_DB_URL;
  } else {
    log.info("SUPABASE_DB_URL is the transaction pooler: set DB_LISTEN_URL to cache model lists");
    listenTarget = null;
  }
  return listenTarget;
}

/** How long the oldest probe in flight has been waiting (0 when none is). */
function oldestProbeWait(now: number): number {
  let oldest = now;
  for (const sentAt of probesInFlight.values()) if (sentAt < oldest) oldest = sentAt;
  return now - oldest;
}

/**
 * Resolves true once every signal committed before this call has been delivered here (a probe
 * sent now came back: a listener receives notifications in commit order), false after
 * `timeoutMs`. For the local stack's tests, which write to the database and then read through
 * the function.
 */
export function caughtUp(timeoutMs = 5_000): Promise<boolean> {
  if (!signalsTrusted()) return Promise.resolve(false);
  const payload = sendProbe(performance.now());
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      probeWaiters.delete(payload);
      resolve(false);
    }, timeoutMs);
    probeWaiters.set(payload, () => {
      clearTimeout(timer);
      probeWaiters.delete(payload);
      resolve(true);
    });
  });
}

/**
 * True while signals demonstrably arrive, so cached entries may be used until a signal drops them.
 * Starts listening on first call, probes while called (an idle isolate sends nothing), and opens
 * the listening connection anew when probes stay overdue; never throws.
 */
export function signalsTrusted(): boolean {
  let url: string | null;
  try {
    url = listenUrl(getEnv());
  } catch {
    return false;
  }
  if (url === null) return false;
  const now = performance.now();
  const waited = oldestProbeWait(now);
  if (waited > probeOverdueMs) trusted = false;
  const stuck = waited > relistenAfterMs && now - listenStartedAt > relistenAfterMs;
  if (listener === undefined || stuck) {
    listener?.end({ timeout: 1 }).catch(() => {});
    listen(url);
  }
  if (now - probeSentAt >= probeEveryMs) sendProbe(now);
  return trusted;
}

/** Closes the listening connection (tests and scripts that must exit). */
export async function stopSignals(): Promise<void> {
  const sql = listener;
  listener = undefined;
  trusted = false;
  probesInFlight.clear();
  await sql?.end({ timeout: 1 });
}
