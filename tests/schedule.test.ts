// The daily sync schedule end to end: the pg_cron job's command, run as pg_cron runs it, makes a
// real HTTP request through the pg_net stand-in to sync-models, which syncs from the fake
// OpenRouter; pg_cron itself fires a job; and the health endpoint follows failures and recovery.
import assert from "node:assert/strict";
import { call } from "./_helpers/api.ts";
import { syncFixture, withFakeOpenRouter } from "./_helpers/catalog.ts";
import { failWith, serveFixture } from "./_helpers/fake_openrouter.ts";
import { stackTest } from "./_helpers/harness.ts";
import { poll } from "./_helpers/poll.ts";
import { adminDb, stack } from "./_helpers/stack.ts";
import { createUser, deleteUsers } from "./_helpers/users.ts";

const jobName = "sync-openrouter-models";

interface Health {
  healthy: boolean;
  consecutive_failures: number;
  last_success_at: string | null;
  last_success_age_seconds: number | null;
  last_run: { status: string } | null;
  job: { scheduled: boolean; schedule: string | null; active: boolean | null };
}

async function lastSyncLogId(): Promise<number> {
  const sql = await adminDb();
  const [{ id }] = await sql`select coalesce(max(id), 0)::int as id from public.model_sync_log`;
  return id;
}

/** Waits for the first sync-log row after `afterId` that is no longer running. */
async function nextFinishedRun(afterId: number, timeoutMs: number) {
  const sql = await adminDb();
  return await poll(async () => {
    const [row] = await sql`
      select id::int, sync_status, triggered_by, error_message
        from public.model_sync_log
       where id > ${afterId} and sync_status <> 'running'
       order by id
       limit 1`;
    return row;
  }, { timeoutMs, intervalMs: 200, failure: `no sync finished within ${timeoutMs} ms` });
}

/**
 * Waits for pg_net's answer to the request queued as `requestId`: the pg_net worker records it
 * only after the function has answered, so it can come after the sync's own log row.
 */
async function netResponse(requestId: number, timeoutMs: number) {
  const sql = await adminDb();
  return await poll(async () => {
    const [row] = await sql`
      select status_code, error_msg from net._http_response where id = ${requestId}`;
    return row;
  }, {
    timeoutMs,
    intervalMs: 100,
    failure: `pg_net recorded no answer to request ${requestId} within ${timeoutMs} ms`,
  });
}

async function jobCommand(): Promise<string> {
  const sql = await adminDb();
  const [job] = await sql`select command from cron.job where jobname = ${jobName}`;
  assert.ok(job, `the ${jobName} job is scheduled`);
  return job.command;
}

stackTest("the cron job's command syncs through pg_net and sync-models", async () => {
  const admin = await createUser({ isAdmin: true, label: "schedule-admin" });
  try {
    await syncFixture(admin, "2025-12-02");
    const before = await lastSyncLogId();
    const sql = await adminDb();
    const command = await jobCommand();
    const run = await withFakeOpenRouter(serveFixture("2025-12-02"), async () => {
      // As pg_cron does: the job's command, as the job's owner, in its own committed transaction.
      const [queued] = await sql.begin(async (tx) => {
        await tx`set local role postgres`;
        return await tx.unsafe(command);
      });
      const requestId = Number(Object.values(queued)[0]);
      return {
        run: await nextFinishedRun(before, 20_000),
        response: await netResponse(requestId, 20_000),
      };
    });
    assert.deepEqual(
      { status: run.run.sync_status, triggered_by: run.run.triggered_by },
      { status: "completed", triggered_by: "cron" },
    );
    assert.equal(run.response.status_code, 200, run.response.error_msg);
  } finally {
    await deleteUsers(admin);
  }
});

stackTest("pg_cron fires a scheduled sync on its own", async () => {
  const admin = await createUser({ isAdmin: true, label: "schedule-admin" });
  const sql = await adminDb();
  const testJob = `${jobName}-test-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await syncFixture(admin, "2025-12-02");
    const before = await lastSyncLogId();
    const command = await jobCommand();
    const run = await withFakeOpenRouter(serveFixture("2025-12-02"), async () => {
      // pg_cron's finest schedule here is once a minute: the job fires within 60 s.
      await sql.begin(async (tx) => {
        await tx`set local role postgres`;
        await tx`select cron.schedule(${testJob}, '* * * * *', ${command})`;
      });
      return await nextFinishedRun(before, 75_000);
    });
    assert.deepEqual(
      { status: run.sync_status, triggered_by: run.triggered_by },
      { status: "completed", triggered_by: "cron" },
    );
    const [details] = await sql`
      select d.status from cron.job_run_details d join cron.job j using (jobid)
       where j.jobname = ${testJob} order by d.start_time desc limit 1`;
    assert.equal(details.status, "succeeded");
  } finally {
    await sql.begin(async (tx) => {
      await tx`set local role postgres`;
      await tx`select cron.unschedule(jobid) from cron.job where jobname = ${testJob}`;
    });
    await deleteUsers(admin);
  }
});

stackTest(
  "health shows a failure streak after upstream failures and recovers after a success",
  async () => {
    const admin = await createUser({ isAdmin: true, label: "health-admin" });
    const user = await createUser({ label: "health-user" });
    try {
      await syncFixture(admin, "2025-12-02");
      const health = async () => {
        const response = await call<{ health: Health }>("admin-models", "health", {
          headers: admin.headers,
        });
        assert.equal(response.status, 200, response.text);
        return response.body.health;
      };
      const recovered = await health();
      assert.equal(recovered.consecutive_failures, 0);
      assert.equal(recovered.healthy, true);
      assert.equal(recovered.job.scheduled, true);
      assert.equal(recovered.job.schedule, "0 2 * * *");

      const { cronSecret } = await stack();
      const cronSync = () =>
        call("sync-models", "", {
          method: "POST",
          headers: { Authorization: `Bearer ${cronSecret}` },
        });
      await withFakeOpenRouter(failWith(500), async () => {
        assert.equal((await cronSync()).status, 502);
        assert.equal((await cronSync()).status, 502);
      });
      const failing = await health();
      assert.equal(failing.consecutive_failures, 2);
      assert.equal(failing.healthy, false);
      assert.equal(failing.last_run?.status, "failed");
      assert.equal(failing.last_success_at, recovered.last_success_at);
      assert.ok((failing.last_success_age_seconds ?? -1) >= 0);

      await withFakeOpenRouter(serveFixture("2025-12-02"), async () => {
        assert.equal((await cronSync()).status, 200);
      });
      const healthy = await health();
      assert.equal(healthy.consecutive_failures, 0);
      assert.equal(healthy.healthy, true);
      assert.equal(healthy.last_run?.status, "completed");
      assert.ok(String(healthy.last_success_at) > String(failing.last_success_at));

      const forbidden = await call("admin-models", "health", { headers: user.headers });
      assert.equal(forbidden.status, 403);
      assert.equal((await call("admin-models", "health")).status, 401);
    } finally {
      await deleteUsers(admin, user);
    }
  },
);
