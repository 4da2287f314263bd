// The Hono stack every function is built on: request id, CORS on every response (errors and
// preflights included), OPTIONS answered before anything else with the methods its route serves, a
// 1 MiB body limit, one JSON error shape, explicit 405s, and one structured log line per request
// (successful reads at debug level). Each app carries its deps (deps.ts) to its handlers as
// `c.var.deps` (read with `depsOf(c)`), and its own user-token verifier as `c.var.verifyUser`.
import { Hono } from "hono";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { matchedRoutes } from "hono/route";
import type { z } from "zod";
import { type UserClaims, userVerifier, type VerifyUser } from "./auth.ts";
import type { AppDeps, Deps } from "./deps.ts";
import { HttpError, toHttpError } from "./errors.ts";
import { createLogger, errorFields, type Logger } from "./log.ts";

export const maxBodyBytes = 1024 * 1024;

export type AppEnv = {
  Variables: {
    log: Logger;
    error: HttpError;
    claims: UserClaims;
    deps: AppDeps;
    verifyUser: VerifyUser;
  };
};

export type AppContext = Context<AppEnv>;

const allowedHeaders =
  "authorization, apikey, content-type, if-none-match, x-client-info, x-request-id, x-region";

const exposedHeaders = [
  "X-Request-Id",
  "X-Response-Time",
  "X-Enhanced-Mode",
  "X-Models-Count",
  "X-User-Tier",
  "X-Total-Count",
  "ETag",
  "Allow",
  "Retry-After",
].join(", ");

/** CORS for browser apps: any origin may call with a bearer token (no cookies are involved). */
function setCorsHeaders(headers: Headers) {
  headers.set("Access-Control-Allow-Origin", "*");
  headers.set("Access-Control-Expose-Headers", exposedHeaders);
}

const requestIdPattern = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * The methods each path serves, declared once by its `onlyAllow` route: the 405's Allow header and
 * the preflight's Access-Control-Allow-Methods both come from here.
 */
const declaredMethods = new WeakMap<object, string[]>();

const methodOrder = ["GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"];

/** The methods a preflight for this request's path may go on with. */
function preflightMethods(c: AppContext, app: Hono<AppEnv>): string {
  const route = matchedRoutes(c).find((r) => declaredMethods.has(r.handler));
  if (route) return declaredMethods.get(route.handler)!.join(", ");
  // A path no route declares: every method the function serves, so that the request itself goes
  // on and gets its JSON 404 rather than a CORS failure.
  const served = new Set(app.routes.flatMap((r) => declaredMethods.get(r.handler) ?? []));
  return methodOrder.filter((m) => served.has(m)).join(", ");
}

function requestContext(
  fn: string,
  app: Hono<AppEnv>,
  deps: AppDeps,
): MiddlewareHandler<AppEnv> {
  const baseLog = createLogger({ fn });
  const verifyUser = userVerifier(deps);
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && requestIdPattern.test(incoming) ? incoming : crypto.randomUUID();
    const log = baseLog.child({ request_id: requestId });
    c.set("log", log);
    c.set("deps", deps);
    c.set("verifyUser", verifyUser);
    if (c.req.method === "OPTIONS") {
      // Preflights never reach authentication or routing.
      c.res = new Response(null, {
        status: 204,
        headers: {
          "Access-Control-Allow-Methods": preflightMethods(c, app),
          "Access-Control-Allow-Headers": allowedHeaders,
          "Access-Control-Max-Age": "86400",
        },
      });
    } else {
      await next();
    }
    const durationMs = Math.round((performance.now() - started) * 100) / 100;
    const headers = c.res.headers;
    setCorsHeaders(headers);
    headers.set("X-Request-Id", requestId);
    headers.set("X-Response-Time", `${durationMs}ms`);
    const error = c.get("error");
    // Successful reads log at debug: they are the bulk of the traffic, the platform's edge logs
    // record every invocation anyway, and Supabase keeps only 100 log events per 10 s per function,
    // which errors and writes must not lose to them.
    const routine = (c.req.method === "GET" || c.req.method === "HEAD") && c.res.status < 400;
    const level = routine ? "debug" : "info";
    if (!log.enabled(level)) return;
    log[level]("request", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: durationMs,
      ...(error ? { error_code: error.code } : {}),
    });
  };
}

function errorResponse(c: Context, error: HttpError): Response {
  return c.json(error.body(), error.status as 400, error.options.headers);
}

function onError(error: Error, c: AppContext): Response {
  const httpError = toHttpError(error);
  c.set("error", httpError);
  const cause = httpError.cause ?? (httpError === error ? undefined : error);
  if (httpError.status >= 500) {
    (c.get("log") ?? createLogger({})).error(httpError.message, {
      code: httpError.code,
      ...(cause === undefined ? {} : errorFields(cause)),
    });
  }
  return errorResponse(c, httpError);
}

/**
 * A path's methods, registered with `app.all(path, onlyAllow(...))` after the path's handlers: it
 * answers the remaining methods with 405 and an Allow header, and tells preflights what to allow.
 */
export function onlyAllow(...methods: string[]): (c: AppContext) => never {
  const allowed = [...methods.flatMap((m) => (m === "GET" ? ["GET", "HEAD"] : [m])), "OPTIONS"];
  const allow = allowed.join(", ");
  const handler = (c: AppContext): never => {
    throw new HttpError(405, "method_not_allowed", `${c.req.method} is not allowed here.`, {
      headers: { Allow: allow },
    });
  };
  declaredMethods.set(handler, allowed);
  return handler;
}

/**
 * A Hono app for one function, mounted where the edge runtime hands it requests: `/<fn>`, with
 * the deps its handlers use.
 */
export function createApp(
  fn: string,
  deps: AppDeps,
  options: { notFoundHint?: string } = {},
): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: false }).basePath(`/${fn}`);
  app.use(requestContext(fn, app, deps));
  app.use(bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw new HttpError(
        413,
        "payload_too_large",
        `Request bodies are limited to ${maxBodyBytes} bytes.`,
      );
    },
  }));
  app.notFound((c) => {
    const hint = options.notFoundHint ? ` ${options.notFoundHint}` : "";
    const error = new HttpError(404, "not_found", `No such endpoint.${hint}`);
    c.set("error", error);
    return errorResponse(c, error);
  });
  app.onError(onError);
  return app;
}

/** The app's deps; throws its `server_misconfigured` error (500) when the environment is invalid. */
export function depsOf(c: AppContext): Deps {
  const deps = c.get("deps");
  if (deps instanceof HttpError) throw deps;
  return deps;
}

/**
 * The request body as JSON; 400 `invalid_json` when it is not JSON, or empty unless `emptyAs`
 * gives what an empty body stands for.
 */
export async function readJson(
  c: AppContext,
  options: { emptyAs?: unknown } = {},
): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") {
    if ("emptyAs" in options) return options.emptyAs;
    throw new HttpError(400, "invalid_json", "A JSON body is required.");
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_json", "The request body is not valid JSON.");
  }
}

/** Validates input with a zod schema; 400 `invalid_request` listing what is wrong. */
export function validate<T extends z.ZodType>(
  schema: T,
  input: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    path: issue.path.join("."),
    message: issue.message,
  }));
  throw new HttpError(400, "invalid_request", `Invalid ${what}.`, { details });
}

const streamFrom = 64 * 1024;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * A 200 response with a body the caller keeps and serves again and again, followed by a short
 * `tail` of this response's own. Deno copies a byte body into a fresh ArrayBuffer per response,
 * which only garbage collection frees: under load that garbage set the peak RSS. A string body or
 * a stream chunk goes out without it. Small bodies go as text, kept in `cached.text` (cheapest to
 * send); large ones as a stream of their one chunk and the tail's (setting it up costs less than
 * encoding their text).
 */
export function cachedBodyResponse(
  cached: { body: Uint8Array; text?: string },
  headers: Record<string, string>,
  tail = "",
): Response {
  if (cached.body.byteLength < streamFrom) {
    cached.text ??= decoder.decode(cached.body);
    return new Response(cached.text + tail, { status: 200, headers });
  }
  const chunks = tail === "" ? [cached.body] : [cached.body, encoder.encode(tail)];
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const length = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  return new Response(stream, {
    status: 200,
    headers: { ...headers, "Content-Length": String(length) },
  });
}
