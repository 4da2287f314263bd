// Synthetic OpenRouter catalogs for benchmarks, made from the real fixture records so that field
// mix, sizes and quirks stay realistic: the i-th model copies a real record and gets a unique id.
import { readFixture } from "../tests/_helpers/stack.ts";

export type UpstreamModel = Record<string, unknown> & {
  id: string;
  pricing?: Record<string, unknown>;
};

/** Every record of both fixtures, as templates. */
async function templates(): Promise<UpstreamModel[]> {
  const [older, newer] = await Promise.all([
    readFixture("2025-05-23"),
    readFixture("2025-12-02"),
  ]);
  return [...older.data, ...newer.data] as UpstreamModel[];
}

function withId(template: UpstreamModel, index: number): UpstreamModel {
  const [provider, rest = "model"] = template.id.split("/");
  return { ...template, id: `${provider}/${rest}-bench-${index}` };
}

export async function syntheticCatalog(size: number): Promise<UpstreamModel[]> {
  const records = await templates();
  return Array.from({ length: size }, (_, i) => withId(records[i % records.length], i));
}

/**
 * The next day's catalog: `changed` share of models with a new prompt price, `removed` share gone,
 * and `added` share of new models (ids past the end of the original range).
 */
export async function evolveCatalog(
  catalog: UpstreamModel[],
  shares: { changed: number; removed: number; added: number },
): Promise<UpstreamModel[]> {
  const every = (share: number) => Math.round(1 / share);
  const next: UpstreamModel[] = [];
  catalog.forEach((model, i) => {
    if (i % every(shares.removed) === 1) return;
    if (i % every(shares.changed) === 0) {
      const prompt = Number(model.pricing?.prompt ?? 0) + 0.0000001;
      next.push({ ...model, pricing: { ...model.pricing, prompt: prompt.toFixed(10) } });
    } else {
      next.push(model);
    }
  });
  const records = await templates();
  const addCount = Math.round(catalog.length * shares.added);
  for (let i = 0; i < addCount; i++) {
    next.push(withId(records[i % records.length], catalog.length + i));
  }
  return next;
}
