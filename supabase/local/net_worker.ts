// The pg_net stand-in's background worker: sends the HTTP requests that net.http_post/http_get
// queued, after their transaction committed, and records each answer in net._http_response.
// Woken by NOTIFY (delivered only on commit) and, as a fallback, by a one-second poll.
import postgres from "postgres";

const sql = postgres(Deno.env.get("SUPABASE_ADMIN_DB_URL")!, { max: 2, onnotice: () => {} });
const batchSize = 50;

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  params: Record<string, string>;
  headers: Record<string, string>;
  body: Uint8Array | null;
  timeout_milliseconds: number;
}

async function send(request: QueuedRequest) {
  const url = new URL(request.url);
  for (const [key, value] of Object.entries(request.params)) url.searchParams.append(key, value);
  try {
    const response = await fetch(url, {
      method: request.method,
      headers: request.headers,
      body: request.body ? new Uint8Array(request.body) : null,
      signal: AbortSignal.timeout(request.timeout_milliseconds),
    });
    const content = await response.text();
    await sql`
      insert into net._http_response (id, status_code, content_type, headers, content, timed_out)
      values (${request.id}, ${response.status}, ${response.headers.get("content-type")},
              ${sql.json(Object.fromEntries(response.headers))}, ${content}, false)`;
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    await sql`
      insert into net._http_response (id, timed_out, error_msg)
      values (${request.id}, ${timedOut}, ${String(error)})`;
  }
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
      const batch = await sql<QueuedRequest[]>`
        delete from net.http_request_queue
        where id in (select id from net.http_request_queue order by id limit ${batchSize})
        returning *`;
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
