// Shared-secret bearer auth (pg_cron calling sync-models): compared in constant time.
import { timingSafeEqual } from "node:crypto";
import { bearerToken } from "./auth.ts";
import { HttpError } from "./errors.ts";

const encoder = new TextEncoder();

async function digest(value: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
}

/** Throws 401 unless the Authorization header is `Bearer <secret>`. */
export async function requireSecret(authorization: string | undefined, secret: string) {
  const token = bearerToken(authorization);
  if (token === undefined) {
    throw new HttpError(401, "auth_required", "Send the cron secret as `Authorization: Bearer`.");
  }
  // Digests have equal lengths, so neither the comparison nor its length check leaks timing.
  if (!timingSafeEqual(await digest(token), await digest(secret))) {
    throw new HttpError(401, "invalid_token", "The secret is not valid.");
  }
}
