import { platformDeps } from "../_shared/deps.ts";
import { createModelsApp } from "./app.ts";

Deno.serve(createModelsApp(platformDeps(Deno.env.toObject())).fetch);
