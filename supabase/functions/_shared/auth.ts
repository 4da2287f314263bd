// Verifies the caller's Supabase access token locally with jose: asymmetric keys from the project's
// JWKS (SUPABASE_JWKS, or fetched from SUPABASE_URL/auth/v1/.well-known/jwks.json), and HS256 only
// when the legacy secret (JWT_SECRET) is set. Algorithms are allow-listed, so `alg: none` and
// algorithm confusion are refused; `exp`, `sub` (a uuid), `role = authenticated`, `aud`
// (`authenticated`) and `iss` (the project's Auth, `<SUPABASE_URL>/auth/v1`) are required.
// Subpaths: a cold start loads what verifying needs, not jose's whole API.
import type { JWSHeaderParameters, JWTPayload } from "jose";
import { createLocalJWKSet } from "jose/jwks/local";
import { createRemoteJWKSet } from "jose/jwks/remote";
import { jwtVerify } from "jose/jwt/verify";
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import type { AppDeps } from "./deps.ts";
import type { Env } from "./env.ts";
import { HttpError } from "./errors.ts";
import type { AppEnv } from "./http.ts";

/** The verified claims, handed to Postgres as `request.jwt.claims` (auth.uid(), RLS). */
export type UserClaims = JWTPayload & { sub: string; role: "authenticated"; exp: number };

const algorithms = ["ES256", "RS256", "EdDSA", "HS256"];

/** The claims of a user's access token from this project's Auth, beyond signature and expiry. */
function userClaimsSchema(issuer: string) {
  return z.looseObject({
    sub: z.uuid(),
    exp: z.number(),
    role: z.literal("authenticated"),
    aud: z.union([
      z.literal("authenticated"),
      z.array(z.string()).refine((aud) => aud.includes("authenticated")),
    ]),
    iss: z.literal(issuer),
  });
}

type KeyResolver = (header: JWSHeaderParameters) => Promise<CryptoKey | Uint8Array>;

/** A token whose algorithm this deployment has no key for. */
class AuthFailure extends Error {}

interface Verifier {
  keys: KeyResolver;
  claims: ReturnType<typeof userClaimsSchema>;
}

function buildVerifier(env: Env): Verifier {
  const jwks = env.SUPABASE_JWKS
    ? createLocalJWKSet(env.SUPABASE_JWKS as Parameters<typeof createLocalJWKSet>[0])
    : remoteKeys(new URL("/auth/v1/.well-known/jwks.json", env.SUPABASE_URL));
  const secret = env.JWT_SECRET ? new TextEncoder().encode(env.JWT_SECRET) : undefined;
  const keys: KeyResolver = (header) => {
    if (header.alg === "HS256") {
      if (!secret) throw new AuthFailure("HS256 access tokens are not accepted by this project.");
      return Promise.resolve(secret);
    }
    return jwks(header);
  };
  const issuer = env.JWT_ISSUER ?? new URL("/auth/v1", env.SUPABASE_URL).href;
  return { keys, claims: userClaimsSchema(issuer) };
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

const authRequired = (message: string) => new HttpError(401, "auth_required", message);
const invalidToken = (message: string, cause?: unknown) =>
  new HttpError(401, "invalid_token", message, { cause });

/** The bearer token in an Authorization header, or undefined when there is none. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** The project's API keys, which identify an app but no user. */
const apiKeyPrefixes = ["sb_publishable_", "sb_secret_"];

/** Verifies the request's user token; throws 401 `auth_required` or `invalid_token`. */
export type VerifyUser = (authorization: string | null | undefined) => Promise<UserClaims>;

const maxCached = 10_000;

/**
 * The user-token check of one app: its keys and issuer come from its environment (built on first
 * use), expiry is judged by its clock, and it remembers the tokens it has verified.
 */
export function userVerifier(deps: AppDeps): VerifyUser {
  let verifier: Verifier | undefined;
  /**
   * Tokens already verified, until they expire. A token is only ever cached after a full
   * verification, and keyed by its exact text, so a hit is as good as verifying it again (bar a
   * signing key revoked mid-lifetime, which Supabase handles by token expiry too).
   */
  const verified = new Map<string, UserClaims>();

  function remember(token: string, claims: UserClaims) {
    if (verified.size >= maxCached) verified.delete(verified.keys().next().value!);
    verified.set(token, claims);
  }

  return async (authorization) => {
    const token = bearerToken(authorization);
    if (token === undefined) {
      throw authRequired("Sign in first: send the user's access token as `Authorization: Bearer`.");
    }
    if (apiKeyPrefixes.some((prefix) => token.startsWith(prefix))) {
      throw authRequired("A signed-in user's access token is required, not the project's API key.");
    }
    if (deps instanceof HttpError) throw deps;
    const now = deps.now();
    const hit = verified.get(token);
    if (hit) {
      if (hit.exp > now / 1000) return hit;
      verified.delete(token);
    }
    verifier ??= buildVerifier(deps.env);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, verifier.keys, {
        algorithms,
        requiredClaims: ["exp"],
        currentDate: new Date(now),
      }));
    } catch (error) {
      throw classify(error);
    }
    if (typeof payload.role === "string" && payload.role !== "authenticated") {
      // The legacy anon or service_role API key: a valid credential, but no signed-in user.
      throw authRequired(
        `A signed-in user's access token is required, not a "${payload.role}" key.`,
      );
    }
    const checked = verifier.claims.safeParse(payload);
    if (!checked.success) {
      const claim = String(checked.error.issues[0].path[0]);
      throw invalidToken(`The access token's \`${claim}\` claim is missing or not valid here.`);
    }
    const user = payload as UserClaims;
    remember(token, user);
    return user;
  };
}

function classify(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof AuthFailure) return invalidToken(error.message, error);
  if ((error as { code?: unknown }).code === "ERR_JWT_EXPIRED") {
    return invalidToken("The access token has expired.", error);
  }
  return invalidToken("The access token is invalid.", error);
}

/** Middleware: verifies the user token and puts the claims in `c.var.claims`. */
export const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("claims", await c.var.verifyUser(c.req.header("authorization")));
  await next();
};
