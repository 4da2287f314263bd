// Access tokens as Supabase Auth issues them, signed with the local stack's ES256 key (or a legacy
// HS256 secret), and the broken ones a function must refuse.
import { exportJWK, generateKeyPair, importJWK, type JWTPayload, SignJWT } from "jose";
import { localJwtSecret } from "../../supabase/functions/_shared/env.ts";
import { stack } from "./stack.ts";

export interface TokenOptions {
  /** Signs with this legacy HS256 secret instead of the stack's ES256 key. */
  hs256Secret?: string;
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
  if (options.hs256Secret) {
    return jwt.setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(new TextEncoder().encode(options.hs256Secret));
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
    // The stack sets no JWT_SECRET, as a project without the legacy secret: no HS256 at all.
    "HS256 without JWT_SECRET": await userToken(sub, { hs256Secret: localJwtSecret }),
    "unknown kid": await new SignJWT({ ...userClaims(sub), exp: now + 3600 })
      .setProtectedHeader({ alg: "ES256", typ: "JWT", kid: crypto.randomUUID() })
      .sign(strangerKey),
    "expired": await userToken(sub, { expiresIn: -60 }),
    "tampered payload": `${header}.${
      b64({ ...userClaims(crypto.randomUUID()), exp: now + 3600 })
    }.${valid.split(".")[2]}`,
    "malformed": "not-a-jwt",
    "malformed three parts": "abc.def.ghi",
    "no sub": await userToken(sub, { claims: { sub: undefined } }),
    "sub not a uuid": await userToken(sub, { claims: { sub: "admin" } }),
    "no exp": await userToken(sub, { claims: { exp: undefined } }),
    "no role": await userToken(sub, { claims: { role: undefined } }),
    ...await foreignClaimTokens(sub),
  };
}

/** Tokens signed with the right key whose `aud` or `iss` is not this project's Auth. */
export async function foreignClaimTokens(
  sub: string,
  options: TokenOptions = {},
): Promise<Record<string, string>> {
  const env = await stack();
  const withClaims = (claims: Record<string, unknown>) => userToken(sub, { ...options, claims });
  return {
    "wrong aud": await withClaims({ aud: "not-supabase" }),
    "aud list without authenticated": await withClaims({ aud: ["not-supabase", "other"] }),
    "no aud": await withClaims({ aud: undefined }),
    "wrong iss": await withClaims({ iss: "https://issuer.example/auth/v1" }),
    "iss of another project": await withClaims({ iss: "https://other.supabase.co/auth/v1" }),
    "iss without /auth/v1": await withClaims({ iss: env.supabaseUrl }),
    "no iss": await withClaims({ iss: undefined }),
    "wrong aud and iss": await withClaims({ aud: "not-supabase", iss: "https://issuer.example" }),
  };
}

/** What is no user's token though a function may well know it: the project's API keys. */
export async function nonUserTokens(): Promise<Record<string, string>> {
  const env = await stack();
  return {
    "publishable key": env.publishableKey,
    "secret key": env.secretKey,
    "ES256 token with role anon": await sign({ role: "anon", sub: crypto.randomUUID() }),
    "ES256 token with role service_role": await sign({ role: "service_role" }),
  };
}
