import { platformDeps } from "../_shared/deps.ts";
import { createSyncModelsApp } from "./app.ts";

Deno.serve(createSyncModelsApp(platformDeps(Deno.env.toObject())).fetch);
