// A read-only health check of a deployed (or local) project's daily sync: the extensions, the
// pg_cron job, the two Vault secrets, what the job's last runs and pg_net's last answers from
// sync-models say, the last successful sync and how many models each tier gets.
// Usage: deno task doctor --db-url <postgres url>   (exit 0 healthy, 1 a problem, 2 usage)
import postgres from "postgres";

const jobName = "sync-openrouter-models";
const secretNames = ["project_url", "sync_models_secret"];
/** As get_sync_health(): the daily job plus slack. */
const maxSuccessAgeHours = 26;

interface Report {
  ok: string[];
  problems: string[];
}

type Tx = postgres.TransactionSql;

/** The URL with its password hidden, to show which database was checked. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.href;
  } catch {
    return "(an unparsable URL)";
  }
}

async function checkExtensions(tx: Tx, report: Report): Promise<Set<string>> {
  const rows = await tx<{ extname: string }[]>`
    select extname from pg_catalog.pg_extension
     where extname in ('pg_cron', 'pg_net', 'supabase_vault')`;
  const present = new Set(rows.map((r) => r.extname));
  for (const name of ["pg_cron", "pg_net", "supabase_vault"]) {
    if (!present.has(name)) {
      report.problems.push(
        `extension ${name} is not installed: enable it (Dashboard, Database, Extensions), then \`supabase db push\``,
      );
    }
  }
  if (present.size === 3) report.ok.push("extensions pg_cron, pg_net and supabase_vault");
  return present;
}

async function checkJob(tx: Tx, report: Report): Promise<number | undefined> {
  const [job] = await tx<{ jobid: number; schedule: string; active: boolean }[]>`
    select jobid::int, schedule, active from cron.job where jobname = ${jobName}`;
  if (!job) {
    report.problems.push(
      `the pg_cron job ${jobName} is not scheduled: apply the migrations (\`supabase db push\`)`,
    );
    return undefined;
  }
  if (!job.active) {
    report.problems.push(
      `the pg_cron job ${jobName} is paused: select cron.alter_job(${job.jobid}, active := true);`,
    );
  } else {
    report.ok.push(`job ${jobName} scheduled at "${job.schedule}" (UTC), active`);
  }
  const runs = await tx<{ status: string; return_message: string | null; start_time: Date }[]>`
    select status, return_message, start_time from cron.job_run_details
     where jobid = ${job.jobid} order by start_time desc limit 3`;
  const [last] = runs;
  if (last === undefined) {
    report.ok.push(`job ${jobName} has not run yet`);
  } else if (last.status === "failed") {
    report.problems.push(
      `the job's last run (${last.start_time.toISOString()}) failed: ${
        oneLine(last.return_message ?? "no message")
      }`,
    );
  } else {
    report.ok.push(`job's last run ${last.start_time.toISOString()}: ${last.status}`);
  }
  return job.jobid;
}

async function checkSecrets(tx: Tx, report: Report) {
  const rows = await tx<{ name: string; value: string | null }[]>`
    select name, decrypted_secret as value from vault.decrypted_secrets
     where name in ('project_url', 'sync_models_secret')`;
  const values = new Map(rows.map((r) => [r.name, r.value?.trim() ?? ""]));
  for (const name of secretNames) {
    if (!values.get(name)) {
      const example = name === "project_url"
        ? "'https://<project-ref>.supabase.co'"
        : "'<the value of CRON_SECRET>'";
      report.problems.push(
        `Vault secret "${name}" is missing: select vault.create_secret(${example}, '${name}', '<description>');`,
      );
    }
  }
  const projectUrl = values.get("project_url");
  if (projectUrl) report.ok.push(`Vault secret project_url = ${projectUrl}`);
  if (values.get("sync_models_secret")) report.ok.push("Vault secret sync_models_secret is set");
}

interface NetResponse {
  id: number;
  status_code: number | null;
  content: string | null;
  error_msg: string | null;
  created: Date;
}

/**
 * Whether a pg_net answer came from sync-models (or from the gateway in front of it): our JSON
 * shapes, a sync result or `{ "error": { "code" } }`, or the gateway's `{ "code", "message" }`.
 * pg_net may have other callers on a project; their answers are left out.
 */
function fromSyncModels(response: NetResponse): boolean {
  if (response.status_code === null) return response.error_msg !== null;
  try {
    const body = JSON.parse(response.content ?? "");
    return typeof body?.sync_log_id === "number" || typeof body?.error?.code === "string" ||
      (typeof body?.code === "string" && typeof body?.message === "string");
  } catch {
    return false;
  }
}

async function checkNetResponses(tx: Tx, report: Report) {
  // Only the documented columns: hosted pg_net keeps answers for a few hours.
  const rows = await tx<NetResponse[]>`
    select id, status_code, content, error_msg, created from net._http_response
     order by created desc, id desc limit 50`;
  const last = rows.find(fromSyncModels);
  if (last === undefined) {
    report.ok.push("pg_net holds no recent answer from sync-models");
    return;
  }
  const when = last.created.toISOString();
  const status = last.status_code;
  if (status === null) {
    report.problems.push(
      `pg_net could not reach sync-models (${when}): ${
        oneLine(last.error_msg ?? "")
      }; check the Vault secret project_url`,
    );
  } else if (status === 401) {
    report.problems.push(
      `sync-models answered 401 to the scheduled call (${when}): the Vault secret sync_models_secret is not the function's CRON_SECRET; set both to one value (README, "Deploying")`,
    );
  } else if (status === 404) {
    report.problems.push(
      `sync-models answered 404 (${when}): deploy it (\`supabase functions deploy sync-models\`) or fix the Vault secret project_url`,
    );
  } else if (status >= 300) {
    report.problems.push(
      `sync-models answered ${status} to the scheduled call (${when}): ${
        oneLine(errorMessage(last.content))
      }`,
    );
  } else {
    report.ok.push(`sync-models answered ${status} to the last scheduled call (${when})`);
  }
}

function errorMessage(content: string | null): string {
  try {
    const body = JSON.parse(content ?? "");
    return String(body?.error?.message ?? body?.message ?? content);
  } catch {
    return content ?? "";
  }
}

async function checkSyncLog(tx: Tx, report: Report) {
  const [success] = await tx<{ completed_at: Date; age_hours: number }[]>`
    select completed_at,
           extract(epoch from now() - completed_at)::float8 / 3600 as age_hours
      from public.model_sync_log
     where sync_status = 'completed'
     order by completed_at desc limit 1`;
  if (!success) {
    report.problems.push(
      "no sync has completed yet: run one (select private.invoke_sync_models();) and check again",
    );
  } else if (success.age_hours > maxSuccessAgeHours) {
    report.problems.push(
      `the last successful sync is ${
        Math.round(success.age_hours)
      } hours old (${success.completed_at.toISOString()})`,
    );
  } else {
    report.ok.push(
      `last successful sync ${success.completed_at.toISOString()} (${
        success.age_hours.toFixed(1)
      } hours ago)`,
    );
  }
  const [last] = await tx<{ sync_status: string; error_message: string | null; id: number }[]>`
    select id::int, sync_status, error_message from public.model_sync_log
     order by started_at desc, id desc limit 1`;
  if (last?.sync_status === "failed") {
    report.problems.push(
      `the last sync (log id ${last.id}) failed: ${oneLine(last.error_message ?? "no message")}`,
    );
  }
}

async function tierCounts(tx: Tx): Promise<string> {
  const [row] = await tx<{ free: number; pro: number; enterprise: number }[]>`
    select
      count(*) filter (where status = 'active' and is_free)::int as free,
      count(*) filter (where status = 'active' and (is_free or is_pro))::int as pro,
      count(*) filter (where status = 'active' and (is_free or is_pro or is_enterprise))::int
        as enterprise
    from public.model_access`;
  return `models per tier: free ${row.free}, pro ${row.pro}, enterprise ${row.enterprise}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Runs every check in one read-only transaction. */
export async function diagnose(dbUrl: string): Promise<Report & { tiers?: string }> {
  const report: Report = { ok: [], problems: [] };
  const sql = postgres(dbUrl, { max: 1, prepare: false, onnotice: () => {}, connect_timeout: 10 });
  try {
    const tiers = await sql.begin("read only", async (tx) => {
      await tx`set local statement_timeout = '10s'`;
      const extensions = await checkExtensions(tx, report);
      if (extensions.has("pg_cron")) await checkJob(tx, report);
      if (extensions.has("supabase_vault")) await checkSecrets(tx, report);
      if (extensions.has("pg_net")) await checkNetResponses(tx, report);
      await checkSyncLog(tx, report);
      return await tierCounts(tx);
    });
    return { ...report, tiers };
  } catch (error) {
    report.problems.push(
      `cannot check the database: ${
        oneLine(error instanceof Error ? error.message : String(error))
      }`,
    );
    return report;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--db-url");
  const dbUrl = at >= 0 ? Deno.args[at + 1] : Deno.args.find((a) => a.startsWith("--db-url="))
    ?.slice("--db-url=".length);
  if (!dbUrl || !/^postgres(ql)?:\/\//.test(dbUrl)) {
    console.error(
      "usage: deno task doctor --db-url postgresql://postgres:<password>@<host>:5432/postgres",
    );
    Deno.exit(2);
  }
  console.log(`Checking ${redactUrl(dbUrl)} (read-only)`);
  const report = await diagnose(dbUrl);
  for (const line of report.ok) console.log(`  ok       ${line}`);
  for (const line of report.problems) console.log(`  PROBLEM  ${line}`);
  if (report.tiers) console.log(`  info     ${report.tiers}`);
  console.log(
    report.problems.length === 0
      ? "Healthy: no problem found."
      : `${report.problems.length} problem${report.problems.length === 1 ? "" : "s"} found.`,
  );
  Deno.exit(report.problems.length === 0 ? 0 : 1);
}
