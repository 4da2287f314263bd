// The pg_net stand-in's background worker: sends the HTTP requests that net.http_get/http_post/
// http_delete queued, after their transaction committed, records each answer in net._http_response
// as pg_net does (NULL content for an empty body, pg_net's error messages), and deletes answers
// older than `pg_net.ttl`. Woken by NOTIFY (delivered only on commit) and, as a fallback, by a
// one-second poll, which also expires old answers when nothing is sent.
import postgres from "postgres";

const sql = postgres(Deno.env.get("SUPABASE_ADMIN_DB_URL")!, { max: 2, onnotice: () => {} });

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string> | null;
  body: Uint8Array | null;
  timeout_milliseconds: number;
}

/** pg_net's settings and defaults, read on every round so that a reload takes effect. */
async function settings(): Promise<{ ttl: string; batchSize: number }> {
  const [row] = await sql<{ ttl: string; batch_size: number }[]>`
    select coalesce(nullif(current_setting('pg_net.ttl', true), ''), '6 hours') as ttl,
           coalesce(nullif(current_setting('pg_net.batch_size', true), ''), '200')::int as batch_size`;
  return { ttl: row.ttl, batchSize: row.batch_size };
}

/** The messages pg_net records (curl's) for the failures a local request can meet. */
function errorMessage(error: unknown): string {
  const detail = String(error instanceof Error && error.cause ? error.cause : error);
  if (/connection refused/i.test(detail)) return "Couldn't connect to server";
  if (/dns error|failed to lookup/i.test(detail)) return "Couldn't resolve host name";
  return detail;
}

async function send(request: QueuedRequest) {
  const started = performance.now();
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers ?? {},
      body: request.body ? new Uint8Array(request.body) : null,
      signal: AbortSignal.timeout(request.timeout_milliseconds),
    });
    const content = await response.text();
    await sql`
      insert into net._http_response (id, status_code, content_type, headers, content, timed_out)
      values (${request.id}, ${response.status}, ${response.headers.get("content-type")},
              ${sql.json(Object.fromEntries(response.headers))}, ${content === "" ? null : content},
              false)`;
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    // fetch has no per-phase timings: the whole time is reported as the HTTP phase's.
    const total = (performance.now() - started).toFixed(6);
    const message = timedOut
      ? `Timeout of ${request.timeout_milliseconds} ms reached. Total time: ${total} ms (DNS time: ` +
        `0.000000 ms, TCP/SSL handshake time: 0.000000 ms, HTTP Request/Response time: ${total} ms)`
      : errorMessage(error);
    await sql`
      insert into net._http_response (id, timed_out, error_msg)
      values (${request.id}, ${timedOut}, ${message})`;
  }
}

/** Deletes answers older than the time-to-live, a batch at a time, as pg_net's worker does. */
async function expireResponses(ttl: string, batchSize: number) {
  let deleted: number;
  do {
    const result = await sql`
      delete from net._http_response as r
      using (
        select ctid from net._http_response
        where created < now() - ${ttl}::interval
        order by created
        limit ${batchSize}
      ) as expired
      where r.ctid = expired.ctid`;
    deleted = result.count;
  } while (deleted === batchSize);
}

let draining = false;
let again = false;

async function drain() {
  if (draining) {
    again = true;
    return;
  }
  draining = true;
  try {
    do {
      again = false;
      const { ttl, batchSize } = await settings();
      await expireResponses(ttl, batchSize);
      const batch = await sql<QueuedRequest[]>`
        delete from net.http_request_queue as q
        using (select id from net.http_request_queue order by id limit ${batchSize}) as next
        where q.id = next.id
        returning q.id, q.method, q.url, q.headers, q.body, q.timeout_milliseconds`;
      await Promise.all(batch.map(send));
      if (batch.length === batchSize) again = true;
    } while (again);
  } catch (error) {
    console.error(
      JSON.stringify({ level: "error", msg: "net worker drain failed", error: String(error) }),
    );
  } finally {
    draining = false;
  }
}

await sql.listen("net_http_request_queue", () => drain(), () => drain());
setInterval(drain, 1000);
console.log(JSON.stringify({ level: "info", msg: "net worker listening" }));
