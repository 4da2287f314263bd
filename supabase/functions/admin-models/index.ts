import { platformDeps } from "../_shared/deps.ts";
import { createAdminModelsApp } from "./app.ts";

Deno.serve(createAdminModelsApp(platformDeps(Deno.env.toObject())).fetch);
