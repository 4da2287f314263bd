// Cache signals from Postgres: NOTIFY on channel `model_access_cache` (migration 1700) says when
// the catalog (`catalog`), a user's tier (`tier:<uuid>`) or a user's quota usage (`usage:<uuid>`)
// changed, so in-memory caches can drop exactly what went stale.
//
// Signals are trusted only while they demonstrably arrive: while serving, the isolate sends itself a
// probe through its pool every few seconds and trusts the signals only while a recent probe came
// back over the listening connection. Behind a transaction pooler (which cannot deliver
// notifications), with DB_LISTEN_URL=off, or when the listening connection is lost, trust lapses
// within `trustForMs` and callers check with the database instead. When trust starts again, or the
// connection is re-established, subscribers get `reset`: signals may have been missed meanwhile.
import postgres from "postgres";
import { db } from "./db.ts";
import { getEnv } from "./env.ts";
import { createLogger } from "./log.ts";

export const channel = "model_access_cache";

/** What subscribers receive besides the database's payloads: forget everything. */
export const reset = "reset";

const probeEveryMs = 2_000;
/** How long after sending it a returned probe vouches for the signals. */
const trustForMs = 6_000;
/** Without a returned probe for this long, the listening connection is opened anew. */
const relistenAfterMs = 30_000;

type Subscriber = (signal: string) => void;

const subscribers = new Set<Subscriber>();
const log = createLogger({ module: "cache_signals" });
const instance = crypto.randomUUID();

let generation = 0;
let listener: postgres.Sql | undefined;
let listenStartedAt = -Infinity;
let probeSentAt = -Infinity;
let probeSeq = 0;
const probesInFlight = new Map<string, number>();
const probeWaiters = new Map<string, () => void>();
/** Send time of the latest probe that came back. */
let confirmedAt = -Infinity;

/** Receives every signal, and `reset` whenever signals may have been missed. */
export function subscribe(fn: Subscriber): void {
  subscribers.add(fn);
}

/**
 * A number that changes with every signal delivered. Capture it before reading the database and
 * store what was read only if it is unchanged afterwards: a change that committed meanwhile may
 * not be in what was read, and its signal has already been handled.
 */
export function signalGeneration(): number {
  return generation;
}

/**
 * Delivers a signal for a change this isolate has just committed itself, at once: its caller then
 * reads its own write, without waiting for the database's copy of the signal.
 */
export function announce(signal: string): void {
  deliver(signal);
}

function deliver(signal: string) {
  generation++;
  for (const fn of subscribers) fn(signal);
}

function onNotify(payload: string) {
  if (!payload.startsWith("probe:")) return deliver(payload);
  const sentAt = probesInFlight.get(payload);
  if (sentAt === undefined) return; // another isolate's probe
  probesInFlight.delete(payload);
  probeWaiters.get(payload)?.();
  const wasTrusted = performance.now() - confirmedAt < trustForMs;
  if (sentAt > confirmedAt) confirmedAt = sentAt;
  if (!wasTrusted) deliver(reset);
}

function listen(url: string) {
  listenStartedAt = performance.now();
  const sql = postgres(url, {
    max: 1,
    prepare: false,
    onnotice: () => {},
    connection: { application_name: "model-access-cache-signals" },
  });
  listener = sql;
  // postgres.js calls the last argument on every (re)connection of the listening connection.
  sql.listen(channel, onNotify, () => {
    deliver(reset);
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
  for (const [old, at] of probesInFlight) if (now - at > trustForMs) probesInFlight.delete(old);
  db()`select pg_notify(${channel}, ${payload})`.catch(() => {/* the next probe tries again */});
  return payload;
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
 * Starts listening on first call and probes while called; never throws.
 */
export function signalsTrusted(): boolean {
  let url: string;
  try {
    const env = getEnv();
    url = env.DB_LISTEN_URL ?? env.SUPABASE_DB_URL;
  } catch {
    return false;
  }
  if (url === "off") return false;
  const now = performance.now();
  if (now - confirmedAt > relistenAfterMs && now - listenStartedAt > relistenAfterMs) {
    const previous = listener;
    previous?.end({ timeout: 1 }).catch(() => {});
    listen(url);
  }
  if (now - probeSentAt >= probeEveryMs) sendProbe(now);
  return now - confirmedAt < trustForMs;
}

/** Closes the listening connection (tests and scripts that must exit). */
export async function stopSignals(): Promise<void> {
  const sql = listener;
  listener = undefined;
  listenStartedAt = -Infinity;
  confirmedAt = -Infinity;
  await sql?.end({ timeout: 1 });
}
