// consume_model_quota straight in the database, as a PostgREST rpc call runs it: as the user
// (role authenticated, the user's claims), in a transaction of its own, over `sql`.
import type postgres from "postgres";

export function consumeAsUser<Decision = unknown>(
  sql: postgres.Sql,
  userId: string,
  modelId: string,
): Promise<Decision> {
  const claims = JSON.stringify({ sub: userId, role: "authenticated", aud: "authenticated" });
  return sql.begin(async (tx) => {
    await tx`
      select set_config('role', 'authenticated', true),
             set_config('request.jwt.claims', ${claims}, true)`;
    const [row] = await tx<{ result: Decision }[]>`
      select public.consume_model_quota(${modelId}) as result`;
    return row.result;
  }) as Promise<Decision>;
}
