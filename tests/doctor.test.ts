// `deno task doctor` against the local stack, with each fault made real and undone: a Vault secret
// that is not CRON_SECRET (pg_net really gets a 401), a missing secret, a paused job, a failing
// upstream. Each test starts from a healthy project and leaves it healthy.
import assert from "node:assert/strict";
import { join } from "node:path";
import { repoRoot } from "../supabase/local/config.ts";
import { syncFixture, withFakeOpenRouter } from "./_helpers/catalog.ts";
import { failWith, serveFixture } from "./_helpers/fake_openrouter.ts";
import { stackTest } from "./_helpers/harness.ts";
import { poll } from "./_helpers/poll.ts";
import { adminDb, stack } from "./_helpers/stack.ts";
import { createUser, deleteUsers, type TestUser } from "./_helpers/users.ts";

async function doctor(): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(repoRoot, "scripts/doctor.ts"), "--db-url", (await stack()).dbUrl],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, output: decode(out.stdout) + decode(out.stderr) };
}

/** The job's command as pg_cron runs it; waits for what pg_net got back. */
async function scheduledCall(): Promise<{ status_code: number | null; content: string | null }> {
  const sql = await adminDb();
  const id = await sql.begin(async (tx) => {
    await tx`set local role postgres`;
    const [{ id }] = await tx`select private.invoke_sync_models() as id`;
    return id;
  });
  return await poll(async () => {
    const [response] = await sql`
      select status_code, content from net._http_response where id = ${id}`;
    return response as { status_code: number | null; content: string | null } | undefined;
  }, {
    timeoutMs: 20_000,
    intervalMs: 100,
    failure: `pg_net request ${id} got no answer within 20 s`,
  });
}

/** A completed sync and a scheduled call that went through: what a healthy project shows. */
async function makeHealthy(admin: TestUser) {
  await syncFixture(admin, "2025-12-02");
  const response = await withFakeOpenRouter(serveFixture("2025-12-02"), scheduledCall);
  assert.equal(response.status_code, 200, response.content ?? "");
}

async function withHealthyProject(fn: () => Promise<void>) {
  const admin = await createUser({ isAdmin: true, label: "doctor-admin" });
  try {
    await makeHealthy(admin);
    const healthy = await doctor();
    assert.equal(healthy.code, 0, healthy.output);
    assert.match(healthy.output, /Healthy: no problem found\./);
    assert.doesNotMatch(healthy.output, /PROBLEM/);
    await fn();
  } finally {
    await makeHealthy(admin);
    await deleteUsers(admin);
  }
}

async function expectProblem(pattern: RegExp) {
  const { code, output } = await doctor();
  assert.equal(code, 1, output);
  assert.match(output, pattern);
  assert.match(output, /\d+ problems? found\./);
}

stackTest("a healthy project: every check ok, the tiers counted, exit 0", async () => {
  await withHealthyProject(async () => {
    const { output } = await doctor();
    assert.match(output, /ok +extensions pg_cron, pg_net and supabase_vault/);
    assert.match(output, /ok +job sync-openrouter-models scheduled at "0 2 \* \* \*"/);
    assert.match(output, /ok +sync-models answered 200 to the last scheduled call/);
    assert.match(output, /info +models per tier: free \d+, pro \d+, enterprise \d+/);
    assert.match(output, /postgres:\*\*\*@/, "the password is not printed");
  });
});

stackTest(
  "a Vault secret that is not CRON_SECRET: pg_net got 401, and the doctor says why",
  async () => {
    const sql = await adminDb();
    await withHealthyProject(async () => {
      const { cronSecret } = await stack();
      try {
        await sql`
        select vault.update_secret(id, ${`${cronSecret}-not-it`}) from vault.secrets
         where name = 'sync_models_secret'`;
        const response = await scheduledCall();
        assert.equal(response.status_code, 401, response.content ?? "");
        await expectProblem(
          /PROBLEM +sync-models answered 401 .*sync_models_secret is not the function's CRON_SECRET/,
        );
      } finally {
        await sql`
        select vault.update_secret(id, ${cronSecret}) from vault.secrets
         where name = 'sync_models_secret'`;
      }
    });
  },
);

stackTest("a missing Vault secret is named, with the statement that creates it", async () => {
  const sql = await adminDb();
  await withHealthyProject(async () => {
    const [{ value }] = await sql`
      select decrypted_secret as value from vault.decrypted_secrets where name = 'project_url'`;
    try {
      await sql`delete from vault.secrets where name = 'project_url'`;
      await expectProblem(
        /PROBLEM +Vault secret "project_url" is missing: select vault\.create_secret\(/,
      );
    } finally {
      await sql`select vault.create_secret(${value}, 'project_url', 'Base URL of the functions for pg_cron')`;
    }
  });
});

stackTest("a paused job is reported with the statement that resumes it", async () => {
  const sql = await adminDb();
  const setActive = (active: boolean) =>
    sql.begin(async (tx) => {
      await tx`set local role postgres`;
      await tx`
        select cron.alter_job(jobid, active := ${active}) from cron.job
         where jobname = 'sync-openrouter-models'`;
    });
  await withHealthyProject(async () => {
    try {
      await setActive(false);
      await expectProblem(
        /PROBLEM +the pg_cron job sync-openrouter-models is paused: select cron\.alter_job\(\d+, active := true\)/,
      );
    } finally {
      await setActive(true);
    }
  });
});

stackTest("a failing upstream: the scheduled call's 502 and the failed run's cause", async () => {
  await withHealthyProject(async () => {
    const response = await withFakeOpenRouter(failWith(500), scheduledCall);
    assert.equal(response.status_code, 502, response.content ?? "");
    await expectProblem(/PROBLEM +sync-models answered 502 .*OpenRouter catalog: HTTP 500/);
    await expectProblem(/PROBLEM +the last sync \(log id \d+\) failed: HTTP 500/);
  });
});
