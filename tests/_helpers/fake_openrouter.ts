// A local HTTP server that plays OpenRouter's GET /api/v1/models for tests and benchmarks: it
// serves the catalog snapshots in ../shared/fixtures/openrouter, and on demand fails the ways the
// real one can (5xx, a hang past the caller's timeout, invalid JSON, an empty `data`, pagination,
// 429 with Retry-After, redirects, bodies past any size). Tests switch its behaviour with
// `use(...)` and read `requests`.
import { type FixtureName, fixturePath, readFixture } from "./stack.ts";

export interface RequestInfo {
  n: number;
  url: URL;
  headers: Headers;
  /** Aborts when the server closes (lets a hanging response end). */
  closing: AbortSignal;
}

export type Behaviour = (info: RequestInfo) => Response | Promise<Response>;

export interface FakeOpenRouter extends AsyncDisposable {
  /** The models URL it answers on, e.g. http://127.0.0.1:57390/api/v1/models */
  url: string;
  requests: { n: number; url: string; authorization: string | null; at: number }[];
  use(behaviour: Behaviour): void;
  close(): Promise<void>;
}

/**
 * Starts the fake on the host, port and path of `modelsUrl` (the stack's OPENROUTER_MODELS_URL);
 * port 0 picks a free port, and `url` tells which.
 */
export function startFakeOpenRouter(
  modelsUrl: string,
  initial: Behaviour = serveFixture("2025-12-02"),
): FakeOpenRouter {
  const target = new URL(modelsUrl);
  const closing = new AbortController();
  let behaviour = initial;
  let count = 0;
  const requests: FakeOpenRouter["requests"] = [];
  const server = Deno.serve(
    { hostname: target.hostname, port: Number(target.port), onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      if (url.pathname !== target.pathname) return new Response("not found", { status: 404 });
      const n = ++count;
      requests.push({
        n,
        url: url.href,
        authorization: request.headers.get("authorization"),
        at: Date.now(),
      });
      return await behaviour({ n, url, headers: request.headers, closing: closing.signal });
    },
  );
  const close = async () => {
    closing.abort();
    await server.shutdown();
  };
  const url = new URL(target);
  url.port = String(server.addr.port);
  return {
    url: url.href,
    requests,
    use: (next) => {
      behaviour = next;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(typeof body === "string" ? body : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });

const fixtureTexts = new Map<string, Promise<string>>();

/** A snapshot file, byte for byte. */
export function serveFixture(name: FixtureName): Behaviour {
  return async () => {
    let text = fixtureTexts.get(name);
    if (!text) {
      text = Deno.readTextFile(fixturePath(name));
      fixtureTexts.set(name, text);
    }
    return json(await text);
  };
}

/** Any JSON body (a hand-made catalog, a drifted shape...). */
export function serveJson(body: unknown, status = 200): Behaviour {
  return () => json(body, status);
}

/** `{ "data": [...models] }` from a list of model records. */
export function serveModels(models: unknown[]): Behaviour {
  return serveJson({ data: models });
}

export function failWith(status: number, headers: Record<string, string> = {}): Behaviour {
  return () => json({ error: { code: status, message: "fake upstream failure" } }, status, headers);
}

/** Never answers, until the fake closes. */
export function hang(): Behaviour {
  return ({ closing }) =>
    new Promise((resolve) => {
      const done = () => resolve(new Response("closing", { status: 503 }));
      if (closing.aborted) done();
      else closing.addEventListener("abort", done, { once: true });
    });
}

/** A 200 whose body is cut off mid-JSON. */
export function invalidJson(): Behaviour {
  return () => json('{"data": [{"id": "openai/gpt-4o", "name": "GPT-4o"');
}

export function emptyData(): Behaviour {
  return serveJson({ data: [] });
}

/** A fixture split into pages of `pageSize`, linked by `links.next` (relative URLs). */
export function paginated(name: FixtureName, pageSize: number): Behaviour {
  return async ({ url }) => {
    const { data } = await readFixture(name);
    const page = Number(url.searchParams.get("page") ?? "1");
    const slice = data.slice((page - 1) * pageSize, page * pageSize);
    const hasMore = page * pageSize < data.length;
    return json({
      data: slice,
      links: { next: hasMore ? `${url.pathname}?page=${page + 1}` : null },
    });
  };
}

/** The nth request gets the nth behaviour; the last one repeats. */
export function sequence(...behaviours: Behaviour[]): Behaviour {
  let i = 0;
  return (info) => behaviours[Math.min(i++, behaviours.length - 1)](info);
}

/** `times` answers of 429 with `Retry-After: seconds`, then `then`. */
export function rateLimited(times: number, seconds: number, then: Behaviour): Behaviour {
  return sequence(
    ...Array.from({ length: times }, () => failWith(429, { "retry-after": String(seconds) })),
    then,
  );
}

/** A redirect to `location` (resolved against the request's URL). */
export function redirectTo(location: string, status = 302): Behaviour {
  return ({ url }) =>
    new Response(null, { status, headers: { location: new URL(location, url).href } });
}

/** A 200 without Content-Length whose body never ends: chunks of JSON until the client stops. */
export function endlessBody(): Behaviour {
  const encoder = new TextEncoder();
  const chunk = encoder.encode(`${JSON.stringify({ id: "acme/model" })},`.repeat(1000));
  return () =>
    new Response(
      new ReadableStream({
        start: (controller) => controller.enqueue(encoder.encode('{"data":[')),
        pull: (controller) => controller.enqueue(chunk),
      }),
      { headers: { "content-type": "application/json" } },
    );
}

/**
 * A fixture gzip-compressed, with the Content-Length of the compressed bytes: what a client
 * reads is several times what the header says.
 */
export function gzippedFixture(name: FixtureName): Behaviour {
  return async () => {
    const compressed = await new Response(
      (await Deno.open(fixturePath(name))).readable.pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer();
    return new Response(compressed, {
      headers: {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "content-length": String(compressed.byteLength),
      },
    });
  };
}
