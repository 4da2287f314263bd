// Output modalities as OpenRouter names them (architecture.output_modalities, and its
// `output_modalities` catalog parameter). One fixed list for the sync's scope and the list
// filters: a value outside it is a typo, and the filtered renderings `models` keeps in memory
// stay bounded by it.
import { z } from "zod";

export const outputModalities = [
  "text",
  "image",
  "audio",
  "video",
  "embeddings",
  "rerank",
  "speech",
  "transcription",
] as const;

export type OutputModality = (typeof outputModalities)[number];

export const outputModalitySchema = z.enum(outputModalities, {
  error: `must be one of ${outputModalities.join(", ")}`,
});

/** Which catalog the sync asks for: `all`, or a comma list of output modalities. */
export const catalogScopeSchema = z.string().refine(
  (scope) =>
    scope === "all" ||
    scope.split(",").every((part) => outputModalitySchema.safeParse(part).success),
  `must be "all" or a comma list of ${outputModalities.join(", ")}`,
);

/** Whether a model's output modalities (as stored or as upstream sends them) include `modality`. */
export const producesOutput = (modalities: string[] | null, modality: OutputModality) =>
  modalities?.includes(modality) ?? false;
