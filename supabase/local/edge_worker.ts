// One worker of the local edge runtime (edge_runtime.ts), run by the Deno release Supabase's edge
// runtime runs: it starts a function from its index.ts, as deployed. As in a user worker there,
// the function's Deno.serve does not choose where it listens: the runtime hands it its requests,
// here on 127.0.0.1:EDGE_WORKER_PORT. GET /_edge/status (a path no function is reached by) tells
// the runtime how much this isolate has allocated, and that it is up.
// Usage: deno run --no-lock -A supabase/local/edge_worker.ts <path of the function's index.ts>

type ServeArgs =
  | [Deno.ServeHandler]
  | [Deno.ServeOptions, Deno.ServeHandler]
  | [Deno.ServeOptions & { handler: Deno.ServeHandler }];

const port = Number(Deno.env.get("EDGE_WORKER_PORT"));
const workerId = Deno.env.get("EDGE_WORKER_ID");
const statusUrl = `http://127.0.0.1:${port}/_edge/status`;
const serve = Deno.serve;

function handlerOf(args: ServeArgs): Deno.ServeHandler {
  if (typeof args[0] === "function") return args[0];
  if (args.length === 2) return args[1];
  return args[0].handler;
}

function status(): Response {
  const { heapTotal, external, rss } = Deno.memoryUsage();
  return Response.json({ worker: workerId, allocated_bytes: heapTotal + external, rss_bytes: rss });
}

function serveForRuntime(...args: ServeArgs): Deno.HttpServer {
  const handler = handlerOf(args);
  return serve(
    { hostname: "127.0.0.1", port, onListen: () => {} },
    async (request, info) => {
      if (request.url === statusUrl) return status();
      const response = await handler(request, info);
      // An answer given before the upload was read (a 413) would close the connection under the
      // gateway's request, still being sent: read the rest first, as Supabase's proxy has it all.
      if (request.body !== null && !request.bodyUsed) await request.arrayBuffer().catch(() => {});
      return response;
    },
  );
}

(Deno as { serve: unknown }).serve = serveForRuntime;
await import(new URL(Deno.args[0], `file://${Deno.cwd()}/`).href);
