// GET /functions/v1/models under concurrent callers, on the local edge runtime (Deno 2.1.4 as
// hosted): many requests share each isolate's two pooled connections, and none may take the
// isolate down with it (the pool's max_pipeline in _shared/db.ts).
import assert from "node:assert/strict";
import { stackTest } from "./_helpers/harness.ts";
import { fnUrl } from "./_helpers/stack.ts";
import { createUser, deleteUsers } from "./_helpers/users.ts";

const callers = 50;
const loadMs = 3_000;

stackTest(`models answers ${callers} concurrent callers without losing its isolate`, async () => {
  const user = await createUser({ label: "concurrency" });
  try {
    const url = await fnUrl("models");
    const failures: string[] = [];
    let answered = 0;
    const stopAt = Date.now() + loadMs;
    await Promise.all(Array.from({ length: callers }, async () => {
      while (Date.now() < stopAt) {
        const response = await fetch(url, { headers: user.headers });
        const text = await response.text();
        if (response.status === 200) answered++;
        else failures.push(`${response.status} ${text}`);
      }
    }));
    assert.deepEqual(
      failures.slice(0, 3),
      [],
      `${failures.length} of ${answered + failures.length} failed`,
    );
    assert.ok(answered > callers, `the load ran (${answered} answers)`);
  } finally {
    await deleteUsers(user);
  }
});
