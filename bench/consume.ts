// Benchmark 4: consume_model_quota throughput (25 callers, each its own connection, 5 s), with
// the local stack's fsync off and with durable commits: the hottest write path.
import postgres from "postgres";
import { consumeAsUser } from "../tests/_helpers/quota.ts";
import { adminDb } from "../tests/_helpers/stack.ts";
import { createUser, deleteUsers } from "../tests/_helpers/users.ts";

export interface ConsumeFigures {
  durable: boolean;
  perSecond: number;
}

const callers = 25;
const seconds = 5;
const model = "bench/limited-model";

async function consumesPerSecond(dbUrl: string, userIds: string[]): Promise<number> {
  const sql = postgres(dbUrl, { max: callers, prepare: false, onnotice: () => {} });
  const deadline = Date.now() + seconds * 1000;
  let count = 0;
  try {
    await Promise.all(userIds.map(async (id) => {
      while (Date.now() < deadline) {
        await consumeAsUser(sql, id, model);
        count++;
      }
    }));
  } finally {
    await sql.end();
  }
  return count / seconds;
}

export async function benchConsume(dbUrl: string): Promise<ConsumeFigures[]> {
  const admin = await adminDb();
  await admin`
    insert into public.model_access
      (model_id, model_name, status, is_free, daily_limit, openrouter_data)
    values (${model}, 'Bench limited model', 'active', true, 1000000000, '{}')`;
  const users = await Promise.all(
    Array.from({ length: callers }, () => createUser({ tier: "free", label: "consume" })),
  );
  const figures: ConsumeFigures[] = [];
  try {
    for (const durable of [false, true]) {
      const setting = durable ? "on" : "off";
      await admin.unsafe(`alter system set fsync = ${setting}`);
      await admin.unsafe(`alter system set synchronous_commit = ${setting}`);
      await admin`select pg_reload_conf()`;
      const perSecond = await consumesPerSecond(dbUrl, users.map((user) => user.id));
      figures.push({ durable, perSecond });
    }
  } finally {
    await admin.unsafe("alter system reset fsync");
    await admin.unsafe("alter system reset synchronous_commit");
    await admin`select pg_reload_conf()`;
    await deleteUsers(...users);
    await admin`delete from public.model_access where model_id = ${model}`;
  }
  return figures;
}
