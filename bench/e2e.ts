// Benchmark 3: sync-models over HTTP, end to end, with the fake OpenRouter serving the largest
// fixture: time from request to response, and its split into fetching, validating and the
// database as the function reports it (timings_ms).
import { serveFixture } from "../tests/_helpers/fake_openrouter.ts";
import { withFakeOpenRouter } from "../tests/_helpers/catalog.ts";
import { adminDb, stack } from "../tests/_helpers/stack.ts";

export interface EndToEndFigures {
  fixture: string;
  models: number;
  cold: { totalMs: number; fetchMs: number; validateMs: number; databaseMs: number };
  noChange: { totalMs: number; fetchMs: number; validateMs: number; databaseMs: number };
}

async function syncOnce() {
  const env = await stack();
  const start = performance.now();
  const response = await fetch(`${env.functionsUrl}/sync-models`, {
    method: "POST",
    headers: { Authorization: `Bearer ${env.cronSecret}` },
  });
  const body = await response.json();
  const totalMs = performance.now() - start;
  if (response.status !== 200) {
    throw new Error(`sync-models: ${response.status} ${JSON.stringify(body)}`);
  }
  const t = body.timings_ms;
  return {
    models: body.total_processed as number,
    figures: { totalMs, fetchMs: t.fetch, validateMs: t.validate, databaseMs: t.database },
  };
}

export async function benchEndToEnd(): Promise<EndToEndFigures> {
  // The larger of the two snapshots by bytes (2025-05-23, 321 models, 0.54 MB).
  const fixture = "2025-05-23";
  const sql = await adminDb();
  await sql`truncate public.model_access cascade`;
  return await withFakeOpenRouter(serveFixture(fixture), async () => {
    const cold = await syncOnce();
    const noChange = await syncOnce();
    return { fixture, models: cold.models, cold: cold.figures, noChange: noChange.figures };
  });
}
