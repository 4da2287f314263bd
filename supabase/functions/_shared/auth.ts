// Verifies the caller's Supabase access token locally with jose: asymmetric keys from the project's
// JWKS (SUPABASE_JWKS, or fetched from SUPABASE_URL/auth/v1/.well-known/jwks.json) and the legacy
// HS256 secret (JWT_SECRET). Algorithms are allow-listed, so `alg: none` and algorithm confusion
// are refused; `exp`, `sub` (a uuid) and `role = authenticated` are required.
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JWSHeaderParameters,
  type JWTPayload,
  jwtVerify,
} from "jose";
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import { type Env, getEnv } from "./env.ts";
import { HttpError } from "./errors.ts";
import type { AppEnv } from "./http.ts";

/** The verified claims, handed to Postgres as `request.jwt.claims` (auth.uid(), RLS). */
export type UserClaims = JWTPayload & { sub: string; role: "authenticated"; exp: number };

const algorithms = ["ES256", "RS256", "EdDSA", "HS256"];

const claimsSchema = z.looseObject({
  sub: z.uuid(),
  exp: z.number(),
  role: z.literal("authenticated"),
});

type KeyResolver = (header: JWSHeaderParameters) => Promise<CryptoKey | Uint8Array>;

/** A token whose algorithm this deployment has no key for. */
class AuthFailure extends Error {}

let resolver: KeyResolver | undefined;

function buildResolver(env: Env): KeyResolver {
  const jwks = env.SUPABASE_JWKS
    ? createLocalJWKSet(env.SUPABASE_JWKS as Parameters<typeof createLocalJWKSet>[0])
    : env.SUPABASE_URL
    ? remoteKeys(new URL("/auth/v1/.well-known/jwks.json", env.SUPABASE_URL))
    : undefined;
  const secret = env.JWT_SECRET ? new TextEncoder().encode(env.JWT_SECRET) : undefined;
  return (header) => {
    if (header.alg === "HS256") {
      if (!secret) throw new AuthFailure("HS256 tokens are not accepted here");
      return Promise.resolve(secret);
    }
    if (!jwks) throw new AuthFailure(`${header.alg} tokens are not accepted here`);
    return jwks(header);
  };
}

/** The project's published keys (cached and refreshed by jose); failing to load them is a 503. */
function remoteKeys(url: URL): KeyResolver {
  const jwks = createRemoteJWKSet(url);
  return async (header) => {
    try {
      return await jwks(header);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === "string" && code !== "ERR_JWKS_TIMEOUT") throw error;
      throw new HttpError(503, "upstream_unavailable", "Could not load the signing keys.", {
        cause: error,
      });
    }
  };
}

/**
 * Tokens already verified in this isolate, until they expire. A token is only ever cached after a
 * full verification, and keyed by its exact text, so a hit is as good as verifying it again (bar
 * a signing key revoked mid-lifetime, which Supabase handles by token expiry too).
 */
const verified = new Map<string, UserClaims>();
const maxCached = 10_000;

function remember(token: string, claims: UserClaims) {
  if (verified.size >= maxCached) verified.delete(verified.keys().next().value!);
  verified.set(token, claims);
}

const authRequired = (message: string) => new HttpError(401, "auth_required", message);
const invalidToken = (message: string, cause?: unknown) =>
  new HttpError(401, "invalid_token", message, { cause });

/** The bearer token in an Authorization header, or undefined when there is none. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Verifies the request's user token; throws 401 `auth_required` or `invalid_token`. */
export async function verifyUser(authorization: string | null | undefined): Promise<UserClaims> {
  const token = bearerToken(authorization);
  if (token === undefined) {
    throw authRequired("Sign in first: send the user's access token as `Authorization: Bearer`.");
  }
  const now = Date.now() / 1000;
  const hit = verified.get(token);
  if (hit) {
    if (hit.exp > now) return hit;
    verified.delete(token);
  }
  resolver ??= buildResolver(getEnv());
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, resolver, { algorithms, requiredClaims: ["exp"] }));
  } catch (error) {
    throw classify(error);
  }
  if (typeof payload.role === "string" && payload.role !== "authenticated") {
    // The anon or service_role API key: a valid credential, but no signed-in user.
    throw authRequired(`A signed-in user's access token is required, not a "${payload.role}" key.`);
  }
  if (!claimsSchema.safeParse(payload).success) {
    throw invalidToken("The access token lacks a valid `sub`, `exp` or `role` claim.");
  }
  const user = payload as UserClaims;
  remember(token, user);
  return user;
}

function classify(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if ((error as { code?: unknown }).code === "ERR_JWT_EXPIRED") {
    return invalidToken("The access token has expired.", error);
  }
  return invalidToken("The access token is invalid.", error);
}

/** Middleware: verifies the user token and puts the claims in `c.var.claims`. */
export const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("claims", await verifyUser(c.req.header("authorization")));
  await next();
};
