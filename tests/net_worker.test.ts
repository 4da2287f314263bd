// The pg_net stand-in's worker over real HTTP, against a local server: it records answers as pg_net
// does (NULL content for an empty body, the response's headers and content type), sends
// net.http_delete's method and body, and records pg_net's messages for a timeout and a refused
// connection.
import assert from "node:assert/strict";
import { stackTest } from "./_helpers/harness.ts";
import { adminDb } from "./_helpers/stack.ts";

interface Received {
  method: string;
  path: string;
  body: string;
}

/** Runs `fn` with a local server that answers by path; returns what the server received too. */
async function withServer<T>(
  fn: (baseUrl: string, received: Received[]) => Promise<T>,
): Promise<T> {
  const received: Received[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    received.push({ method: req.method, path: url.pathname + url.search, body: await req.text() });
    if (url.pathname === "/empty") return new Response(null, { status: 204 });
    if (url.pathname === "/slow") await new Promise((resolve) => setTimeout(resolve, 1500));
    return Response.json({ ok: true }, { headers: { "x-probe": "yes" } });
  });
  try {
    return await fn(`http://127.0.0.1:${server.addr.port}`, received);
  } finally {
    await server.shutdown();
  }
}

/** The worker's record of a committed request, once it has one (up to 10 s). */
async function responseOf(id: string) {
  const sql = await adminDb();
  for (let attempt = 0; attempt < 100; attempt++) {
    const [row] = await sql`
      select status_code, content_type, headers, content, timed_out, error_msg
        from net._http_response where id = ${id}`;
    if (row) return row;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the worker recorded no answer to request ${id}`);
}

stackTest("pg_net stand-in: an empty body is recorded as NULL content", async () => {
  const sql = await adminDb();
  await withServer(async (baseUrl) => {
    const [{ id }] = await sql`select net.http_get(${baseUrl + "/empty"}) as id`;
    const response = await responseOf(id);
    assert.equal(response.status_code, 204);
    assert.equal(response.content, null);
    assert.equal(response.timed_out, false);
  });
});

stackTest("pg_net stand-in: a JSON answer is recorded with its headers", async () => {
  const sql = await adminDb();
  await withServer(async (baseUrl) => {
    const [{ id }] = await sql`select net.http_post(${baseUrl + "/json"}) as id`;
    const response = await responseOf(id);
    assert.equal(response.status_code, 200);
    assert.equal(response.content_type, "application/json");
    assert.equal(response.headers["x-probe"], "yes");
    assert.deepEqual(JSON.parse(response.content), { ok: true });
  });
});

stackTest(
  "pg_net stand-in: net.http_delete sends DELETE with its body and parameters",
  async () => {
    const sql = await adminDb();
    await withServer(async (baseUrl, received) => {
      const [{ id }] = await sql`
      select net.http_delete(${baseUrl + "/items/7"}, params := '{"hard": "yes"}',
                             body := '{"reason": "gone"}') as id`;
      await responseOf(id);
      assert.deepEqual(received, [
        { method: "DELETE", path: "/items/7?hard=yes", body: '{"reason": "gone"}' },
      ]);
    });
  },
);

stackTest("pg_net stand-in: a timeout is recorded with pg_net's message", async () => {
  const sql = await adminDb();
  await withServer(async (baseUrl) => {
    const [{ id }] = await sql`
      select net.http_get(${baseUrl + "/slow"}, timeout_milliseconds := 300) as id`;
    const response = await responseOf(id);
    assert.equal(response.timed_out, true);
    assert.equal(response.status_code, null);
    assert.equal(response.content, null);
    assert.match(
      response.error_msg,
      /^Timeout of 300 ms reached\. Total time: [\d.]+ ms \(DNS time: [\d.]+ ms, TCP\/SSL handshake time: [\d.]+ ms, HTTP Request\/Response time: [\d.]+ ms\)$/,
    );
  });
});

stackTest("pg_net stand-in: a refused connection is recorded with curl's message", async () => {
  const sql = await adminDb();
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const [{ id }] = await sql`select net.http_get(${`http://127.0.0.1:${port}/`}) as id`;
  const response = await responseOf(id);
  assert.equal(response.timed_out, false);
  assert.equal(response.error_msg, "Couldn't connect to server");
});
