// Test users: real auth.users rows (the database's trigger creates their profile), a tier and
// admin flag set through the superuser connection, and a real access token. Every user gets a
// unique email, so tests never collide; `deleteUsers` removes them again.
import { userToken } from "./jwt.ts";
import { adminDb } from "./stack.ts";

export type Tier = "free" | "pro" | "enterprise";

export interface TestUser {
  id: string;
  email: string;
  tier: Tier;
  isAdmin: boolean;
  token: string;
  /** `{ Authorization: "Bearer <token>" }` */
  headers: Record<string, string>;
}

export async function createUser(
  options: { tier?: Tier; isAdmin?: boolean; label?: string } = {},
): Promise<TestUser> {
  const sql = await adminDb();
  const id = crypto.randomUUID();
  const email = `${options.label ?? "user"}-${id}@model-access.test`;
  const tier = options.tier ?? "free";
  const isAdmin = options.isAdmin ?? false;
  await sql`
    insert into auth.users (id, email, aud, role, email_confirmed_at)
    values (${id}, ${email}, 'authenticated', 'authenticated', now())`;
  await sql`
    update public.profiles
       set subscription_tier = ${tier}, is_admin = ${isAdmin}
     where id = ${id}`;
  const token = await userToken(id, { email });
  return { id, email, tier, isAdmin, token, headers: { Authorization: `Bearer ${token}` } };
}

export async function setTier(user: TestUser, tier: Tier): Promise<void> {
  const sql = await adminDb();
  await sql`update public.profiles set subscription_tier = ${tier} where id = ${user.id}`;
  user.tier = tier;
}

export async function deleteUsers(...users: (TestUser | undefined)[]): Promise<void> {
  const ids = users.filter((u): u is TestUser => u !== undefined).map((u) => u.id);
  if (ids.length === 0) return;
  const sql = await adminDb();
  await sql`delete from auth.users where id = any(${ids}::uuid[])`;
}
