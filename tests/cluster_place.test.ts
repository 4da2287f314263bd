// Where a stack's PostgreSQL cluster goes when the `postgres` user cannot enter the checkout (as
// root, in a 0700 home), and the one line a failed start prints. Needs no running stack: the
// cluster test creates and removes a throwaway cluster of its own.
import assert from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import { chooseClusterDir, sharedClustersDir } from "../supabase/local/cluster_place.ts";
import { type StackConfig, stackConfig } from "../supabase/local/config.ts";
import { dbUrl, startCluster, stopStack } from "../supabase/local/stack.ts";
import { CommandError, keyLine, stepFailed } from "../supabase/local/start_failure.ts";

function configIn(root: string, name: string, port = 0): StackConfig {
  const dir = join(root, ".local", name);
  return { name, dir, envFile: join(dir, "stack.env"), dbPort: port, apiPort: port + 1 };
}

Deno.test("the cluster stays in the stack's folder when postgres can enter it", () => {
  const config = configIn("/work/checkout", "dev");
  assert.equal(chooseClusterDir(config, true), config.dir);
});

Deno.test("otherwise it gets a folder of its own per checkout and stack", () => {
  const dir = chooseClusterDir(configIn("/root/checkout", "dev"), false);
  assert.match(dir, new RegExp(`^${sharedClustersDir}/dev-[0-9a-f]{12}$`));
  assert.equal(chooseClusterDir(configIn("/root/checkout", "dev"), false), dir, "stable");
  assert.notEqual(chooseClusterDir(configIn("/root/other", "dev"), false), dir);
  assert.notEqual(chooseClusterDir(configIn("/root/checkout", "test"), false), dir);
});

Deno.test("a failed step is one line: what failed, the tool's own reason, what to do", () => {
  const initdb = new CommandError(
    "initdb -D /x",
    1,
    'could not change directory to "/root/x": Permission denied\n' +
      'initdb: error: could not open file "/root/x/pwfile" for reading: Permission denied\n',
  );
  assert.equal(
    stepFailed("initdb", initdb, "delete /x and start again").message,
    'initdb failed: initdb: error: could not open file "/root/x/pwfile" for reading: ' +
      "Permission denied; delete /x and start again",
  );
  assert.equal(keyLine("waiting for server to start....\n stopped waiting\n"), "stopped waiting");
  assert.equal(keyLine(""), "no output");
  const message = stepFailed("starting", new Error("first\nsecond"), "retry").message;
  assert.doesNotMatch(message, /\n/);
});

Deno.test({
  name: "as root, a checkout postgres cannot enter still gets a working cluster, removed on reset",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "model-access-0700-" });
    await Deno.chmod(root, 0o700);
    // A port of this suite's own, below the ephemeral range: an OS-chosen free port can be taken
    // by an outgoing connection before the cluster binds it.
    const port = stackConfig().apiPort + 30;
    const config = configIn(root, `place-${crypto.randomUUID().slice(0, 8)}`, port);
    try {
      const { created, place } = await startCluster(config);
      assert.equal(created, true);
      assert.ok(place.dir.startsWith(`${sharedClustersDir}/`), place.dir);
      const sql = postgres(dbUrl(config, "supabase_admin"), { max: 1, onnotice: () => {} });
      try {
        const [{ answer }] = await sql`select 42 as answer`;
        assert.equal(answer, 42);
      } finally {
        await sql.end();
      }
      await stopStack(config, { reset: true, quiet: true });
      await assert.rejects(Deno.stat(place.dir), Deno.errors.NotFound, "reset removes it");
    } finally {
      await stopStack(config, { reset: true, quiet: true });
      await Deno.remove(root, { recursive: true });
    }
  },
});
