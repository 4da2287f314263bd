// The OpenRouter client (supabase/functions/_shared/openrouter.ts) on its own, in process,
// against the fake OpenRouter on a free port and against file:// URLs. Needs no running stack.
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import {
  fetchCatalog,
  type FetchOptions,
  parseRetryAfter,
  UpstreamError,
} from "../supabase/functions/_shared/openrouter.ts";
import {
  type Behaviour,
  endlessBody,
  failWith,
  gzippedFixture,
  hang,
  paginated,
  rateLimited,
  redirectTo,
  serveFixture,
  serveJson,
  startFakeOpenRouter,
} from "./_helpers/fake_openrouter.ts";
import { fixturePath, readFixture } from "./_helpers/stack.ts";

const options = (url: string, extra: Partial<FetchOptions> = {}): FetchOptions => ({
  url,
  outputModalities: "text",
  maxBodyBytes: 20_000_000,
  timeoutMs: 2000,
  maxRetries: 2,
  retryBaseMs: 10,
  maxRetryAfterMs: 2000,
  budgetMs: 30_000,
  ...extra,
});

async function withFake<T>(
  behaviour: Behaviour,
  fn: (url: string, fake: ReturnType<typeof startFakeOpenRouter>) => Promise<T>,
) {
  const fake = startFakeOpenRouter("http://127.0.0.1:0/api/v1/models", behaviour);
  try {
    return await fn(fake.url, fake);
  } finally {
    await fake.close();
  }
}

Deno.test("file:// URLs are read from disk (offline local sync)", async () => {
  const catalog = await fetchCatalog(options(pathToFileURL(fixturePath("2025-05-23")).href));
  assert.equal(catalog.models.length, 321);
  assert.equal(catalog.pages, 1);
  assert.equal(catalog.skipped.length, 0);
  await assert.rejects(
    fetchCatalog(options("file:///nonexistent/models.json")),
    (error) => error instanceof UpstreamError && /cannot read/.test(error.message),
  );
});

Deno.test("both snapshots validate completely, unknown fields kept", async () => {
  for (const name of ["2025-05-23", "2025-12-02"] as const) {
    await withFake(serveFixture(name), async (url) => {
      const catalog = await fetchCatalog(options(url));
      const { data } = await readFixture(name);
      assert.equal(catalog.models.length, data.length);
      assert.deepEqual(catalog.models, data, "records pass through unchanged");
    });
  }
});

Deno.test("pages are followed; a loop or a foreign origin is refused", async () => {
  await withFake(paginated("2025-12-02", 100), async (url) => {
    const catalog = await fetchCatalog(options(url));
    assert.equal(catalog.pages, 4);
    assert.equal(catalog.models.length, 335);
  });
  await withFake(serveJson({ data: [], links: { next: "?page=1" } }), async (url) => {
    await assert.rejects(fetchCatalog(options(url)), /pagination does not end/);
  });
  await withFake(
    serveJson({ data: [], links: { next: "http://169.254.169.254/latest/meta-data" } }),
    async (url, fake) => {
      await assert.rejects(fetchCatalog(options(url)), /another origin/);
      assert.equal(fake.requests.length, 1);
    },
  );
});

Deno.test("retries are bounded, back off, and honour Retry-After", async () => {
  await withFake(failWith(500), async (url, fake) => {
    const retries: number[] = [];
    await assert.rejects(
      fetchCatalog(options(url, { maxRetries: 3, onRetry: (info) => retries.push(info.delayMs) })),
      (error) => error instanceof UpstreamError && error.details.attempts === 4,
    );
    assert.equal(fake.requests.length, 4);
    assert.equal(retries.length, 3);
  });
  await withFake(failWith(502), async (url, fake) => {
    await assert.rejects(fetchCatalog(options(url, { maxRetries: 0 })));
    assert.equal(fake.requests.length, 1);
  });
  await withFake(rateLimited(2, 1, serveFixture("2025-05-23")), async (url, fake) => {
    const delays: number[] = [];
    const catalog = await fetchCatalog(
      options(url, { onRetry: (info) => delays.push(info.delayMs) }),
    );
    assert.equal(catalog.models.length, 321);
    assert.deepEqual(delays, [1000, 1000]);
    assert.equal(fake.requests.length, 3);
  });
  await withFake(failWith(429, { "retry-after": "3600" }), async (url) => {
    const delays: number[] = [];
    await assert.rejects(fetchCatalog(
      options(url, {
        maxRetries: 1,
        maxRetryAfterMs: 50,
        onRetry: (info) => delays.push(info.delayMs),
      }),
    ));
    assert.deepEqual(delays, [50], "a long Retry-After is capped");
  });
});

/** Runs `fn` and says how long it took, in ms. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

Deno.test("the budget stops retrying: no attempt starts after it", async () => {
  await withFake(failWith(500), async (url, fake) => {
    const elapsed = await timed(() =>
      assert.rejects(
        fetchCatalog(options(url, { maxRetries: 10, retryBaseMs: 100, budgetMs: 400 })),
        (error) =>
          error instanceof UpstreamError && /upstream budget of 400 ms/.test(error.message) &&
          error.details.attempts === fake.requests.length,
      )
    );
    assert.ok(fake.requests.length < 11, `${fake.requests.length} attempts, not all 11`);
    assert.ok(elapsed < 600, `gave up within the budget, give or take a timer (${elapsed} ms)`);
  });
});

Deno.test("the budget cuts a slow attempt short of its own timeout", async () => {
  await withFake(hang(), async (url, fake) => {
    const elapsed = await timed(() =>
      assert.rejects(
        fetchCatalog(options(url, { timeoutMs: 5000, maxRetries: 3, budgetMs: 300 })),
        (error) =>
          error instanceof UpstreamError &&
          /before the upstream budget of 300 ms ran out/.test(error.message),
      )
    );
    assert.equal(fake.requests.length, 1);
    assert.ok(elapsed < 2000, `cut at the budget, not the 5 s timeout (${elapsed} ms)`);
  });
});

Deno.test("a Retry-After longer than what the budget leaves ends the fetch at once", async () => {
  await withFake(failWith(429, { "retry-after": "10" }), async (url, fake) => {
    const elapsed = await timed(() =>
      assert.rejects(
        fetchCatalog(options(url, { maxRetryAfterMs: 60_000, budgetMs: 3000 })),
        (error) =>
          error instanceof UpstreamError && error.details.status === 429 &&
          /leaves no time for another/.test(error.message),
      )
    );
    assert.equal(fake.requests.length, 1);
    assert.ok(elapsed < 3000, `did not wait out the budget (${elapsed} ms)`);
  });
});

Deno.test("the API key is sent as a bearer token when configured", async () => {
  await withFake(serveFixture("2025-05-23"), async (url, fake) => {
    await fetchCatalog(options(url, { apiKey: "sk-or-test" }));
    await fetchCatalog(options(url));
    assert.equal(fake.requests[0].authorization, "Bearer sk-or-test");
    assert.equal(fake.requests[1].authorization, null);
  });
});

Deno.test("records pass on as received, except what Postgres cannot hold", async () => {
  let deep: unknown = "bottom";
  for (let i = 0; i < 40; i++) deep = [deep];
  const records = [
    { id: "acme/good", pricing: { prompt: "cheap" } },
    { id: "acme/nul", description: "before\u0000after" },
    { id: "acme/surrogate", name: "lone \uD800 high" },
    { id: "acme/deep", nested: deep },
    "not an object",
  ];
  await withFake(serveJson({ data: records }), async (url) => {
    const catalog = await fetchCatalog(options(url));
    assert.equal(catalog.received, 5);
    assert.deepEqual(catalog.models, [
      records[0],
      { id: "acme/nul", description: "beforeafter" },
      { id: "acme/surrogate", name: "lone \uFFFD high" },
      "not an object",
    ], "judging records is the database's: only \\u0000, lone surrogates and depth are handled");
    assert.equal(catalog.sanitized, 2);
    assert.deepEqual(catalog.skipped, [{
      index: 3,
      id: "acme/deep",
      problem: "too_deeply_nested",
    }]);
  });
});

Deno.test("Retry-After: seconds, an HTTP date, or nothing usable", () => {
  assert.equal(parseRetryAfter("3"), 3000);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter("soon"), undefined);
  const now = Date.parse("2025-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("Wed, 01 Jan 2025 00:00:10 GMT", now), 10_000);
  assert.equal(parseRetryAfter("Tue, 31 Dec 2024 00:00:00 GMT", now), 0);
});

Deno.test("the scope is asked for explicitly, on every page", async () => {
  await withFake(serveFixture("2025-05-23"), async (url, fake) => {
    await fetchCatalog(options(url));
    await fetchCatalog(options(url, { outputModalities: "all" }));
    await fetchCatalog(options(url, { outputModalities: "text,image" }));
    assert.deepEqual(
      fake.requests.map((r) => new URL(r.url).searchParams.get("output_modalities")),
      ["text", "all", "text,image"],
    );
  });
  await withFake(paginated("2025-12-02", 100), async (url, fake) => {
    await fetchCatalog(options(url, { outputModalities: "all" }));
    assert.equal(fake.requests.length, 4);
    for (const request of fake.requests) {
      assert.equal(new URL(request.url).searchParams.get("output_modalities"), "all", request.url);
    }
  });
});

Deno.test("a redirect is refused, naming its status, and never followed", async () => {
  for (const status of [301, 302, 307, 308]) {
    await withFake(redirectTo("?moved=1", status), async (url, fake) => {
      await assert.rejects(
        fetchCatalog(options(url)),
        (error) =>
          error instanceof UpstreamError && error.details.status === status &&
          error.message.startsWith(`HTTP ${status}: redirects are refused`) &&
          error.message.includes("moved=1"),
      );
      assert.equal(fake.requests.length, 1, "neither followed nor retried");
    });
  }
});

const overLimit = (error: unknown) =>
  error instanceof UpstreamError &&
  /more than the limit of \d+ bytes \(OPENROUTER_MAX_BODY_BYTES\)/.test(error.message);

Deno.test("a body over the size cap is refused from its Content-Length, unread", async () => {
  await withFake(serveFixture("2025-12-02"), async (url, fake) => {
    await assert.rejects(
      fetchCatalog(options(url, { maxBodyBytes: 100_000 })),
      (error) => overLimit(error) && /declares 462573 bytes/.test((error as Error).message),
    );
    assert.equal(fake.requests.length, 1, "not retried");
    const catalog = await fetchCatalog(options(url, { maxBodyBytes: 462_573 }));
    assert.equal(catalog.models.length, 335, "a body of exactly the cap is accepted");
  });
});

Deno.test("a body without Content-Length is cut once it passes the cap", async () => {
  // Endless: only a cap enforced while reading ends it before the 10 s timeout does.
  await withFake(endlessBody(), async (url, fake) => {
    await assert.rejects(
      fetchCatalog(options(url, { maxBodyBytes: 100_000, timeoutMs: 10_000 })),
      (error) => overLimit(error) && /body grew to/.test((error as Error).message),
    );
    assert.equal(fake.requests.length, 1, "not retried");
  });
});

Deno.test("a compressed body is capped at its decoded size, not its Content-Length", async () => {
  await withFake(gzippedFixture("2025-12-02"), async (url) => {
    await assert.rejects(
      fetchCatalog(options(url, { maxBodyBytes: 200_000 })),
      (error) => overLimit(error) && /body grew to/.test((error as Error).message),
    );
    assert.equal((await fetchCatalog(options(url))).models.length, 335, "under the cap it reads");
  });
});

Deno.test("a file over the size cap is refused too", async () => {
  await assert.rejects(
    fetchCatalog(options(pathToFileURL(fixturePath("2025-05-23")).href, { maxBodyBytes: 100_000 })),
    overLimit,
  );
});
