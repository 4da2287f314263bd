// Generates supabase/functions/_shared/database.types.ts from a migrated database with the
// Supabase CLI (`deno task gen:types` uses the running dev stack). The test runner calls
// generateTypes() against its own stack to check the committed file for drift.
import { join } from "node:path";
import { readStackEnv, repoRoot } from "../supabase/local/config.ts";

export const typesFile = join(repoRoot, "supabase/functions/_shared/database.types.ts");

export async function generateTypes(dbUrl: string): Promise<string> {
  // Without an explicit sslmode the CLI prints a "Connected to 127.0.0.1 without TLS" warning to
  // stdout, i.e. into the generated file. Local stacks have no TLS: say so.
  const url = new URL(dbUrl);
  if (["127.0.0.1", "localhost"].includes(url.hostname) && !url.searchParams.has("sslmode")) {
    url.searchParams.set("sslmode", "disable");
  }
  const out = await new Deno.Command(join(repoRoot, "tools/node_modules/.bin/supabase"), {
    args: ["gen", "types", "--lang=typescript", "--schema=public", `--remote=${url.href}`],
    cwd: repoRoot,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`supabase gen types failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

if (import.meta.main) {
  const env = await readStackEnv();
  await Deno.writeTextFile(typesFile, await generateTypes(env.SUPABASE_DB_URL));
  console.log(`wrote ${typesFile}`);
}
