// Access tokens as Supabase Auth issues them, signed with the local stack's keys (ES256 with the
// private JWK, or the legacy HS256 secret), and the broken ones a function must refuse.
import { exportJWK, generateKeyPair, importJWK, type JWTPayload, SignJWT } from "jose";
import { stack } from "./stack.ts";

export interface TokenOptions {
  alg?: "ES256" | "HS256";
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  /** Extra or overriding claims; a claim set to undefined is left out. */
  claims?: Record<string, unknown>;
}

function userClaims(sub: string, email?: string): JWTPayload {
  return {
    aud: "authenticated",
    sub,
    email: email ?? "",
    phone: "",
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: {},
    role: "authenticated",
    aal: "aal1",
    amr: [{ method: "password", timestamp: Math.floor(Date.now() / 1000) }],
    session_id: crypto.randomUUID(),
    is_anonymous: false,
  };
}

async function sign(payload: JWTPayload, options: TokenOptions = {}): Promise<string> {
  const env = await stack();
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = {
    iss: `${env.supabaseUrl}/auth/v1`,
    iat: now,
    exp: now + (options.expiresIn ?? 3600),
    ...payload,
  };
  for (const [key, value] of Object.entries(options.claims ?? {})) {
    if (value === undefined) delete claims[key];
    else claims[key] = value;
  }
  const jwt = new SignJWT(claims);
  if ((options.alg ?? "ES256") === "HS256") {
    return jwt.setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(new TextEncoder().encode(env.jwtSecret));
  }
  const key = await importJWK(env.privateJwk, "ES256");
  return jwt.setProtectedHeader({ alg: "ES256", typ: "JWT", kid: env.privateJwk.kid as string })
    .sign(key);
}

/** A valid user access token (ES256 by default, like Supabase's asymmetric signing keys). */
export function userToken(sub: string, options: TokenOptions & { email?: string } = {}) {
  return sign(userClaims(sub, options.email), options);
}

const b64 = (value: unknown) =>
  btoa(JSON.stringify(value)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

/** Tokens that must be refused with 401, by name, for a user id that exists. */
export async function badTokens(sub: string): Promise<Record<string, string>> {
  const now = Math.floor(Date.now() / 1000);
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const env = await stack();
  const strangerKey = await importJWK(
    { ...await exportJWK(privateKey), alg: "ES256" },
    "ES256",
  );
  const valid = await userToken(sub);
  const [header, payload] = valid.split(".");
  return {
    "alg none": `${b64({ alg: "none", typ: "JWT" })}.${payload}.`,
    "wrong key, same kid": await new SignJWT({ ...userClaims(sub), exp: now + 3600 })
      .setProtectedHeader({ alg: "ES256", typ: "JWT", kid: env.privateJwk.kid as string })
      .sign(strangerKey),
    "wrong HS256 secret": await new SignJWT({ ...userClaims(sub), exp: now + 3600 })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(new TextEncoder().encode("not-the-secret-not-the-secret-not-the-secret")),
    "unknown kid": await new SignJWT({ ...userClaims(sub), exp: now + 3600 })
      .setProtectedHeader({ alg: "ES256", typ: "JWT", kid: crypto.randomUUID() })
      .sign(strangerKey),
    "expired": await userToken(sub, { expiresIn: -60 }),
    "expired HS256": await userToken(sub, { alg: "HS256", expiresIn: -60 }),
    "tampered payload": `${header}.${
      b64({ ...userClaims(crypto.randomUUID()), exp: now + 3600 })
    }.${valid.split(".")[2]}`,
    "malformed": "not-a-jwt",
    "malformed three parts": "abc.def.ghi",
    "no sub": await userToken(sub, { claims: { sub: undefined } }),
    "sub not a uuid": await userToken(sub, { claims: { sub: "admin" } }),
    "no exp": await userToken(sub, { claims: { exp: undefined } }),
    "no role": await userToken(sub, { claims: { role: undefined } }),
  };
}

/** Correctly signed tokens that are not a user's: the API keys (role anon / service_role). */
export async function nonUserTokens(): Promise<Record<string, string>> {
  const env = await stack();
  return {
    "anon key": env.anonKey,
    "service_role key": env.serviceRoleKey,
    "ES256 token with role anon": await sign({ role: "anon", sub: crypto.randomUUID() }),
  };
}
