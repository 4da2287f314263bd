// Admin-only endpoints: the caller must be a verified user whose profile has is_admin (read as
// that user under RLS). Checked before the request is parsed, so non-admins always get 403; the
// operations then run as the admin user and the database authorizes them again on its own.
import type { MiddlewareHandler } from "hono";
import { asUser } from "./db.ts";
import { HttpError } from "./errors.ts";
import { type AppEnv, depsOf } from "./http.ts";

export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const claims = await c.var.verifyUser(c.req.header("authorization"));
  const [profile] = await asUser(
    depsOf(c).sql,
    claims,
    (tx) => tx<{ is_admin: boolean }[]>`select is_admin from public.profiles where id = auth.uid()`,
  );
  if (!profile?.is_admin) throw new HttpError(403, "forbidden", "Admins only.");
  c.set("claims", claims);
  await next();
};
