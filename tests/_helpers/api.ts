// Plain HTTP calls to the functions as a client makes them, returning what the tests look at.
import { fnUrl } from "./stack.ts";

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined when there is none (204, 304, HEAD). */
  body: T;
  text: string;
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  query?: Record<string, string | undefined>;
  /** Sent as JSON unless it is already a string or bytes. */
  body?: unknown;
}

export async function call<T = Record<string, unknown>>(
  fn: string,
  path = "",
  options: CallOptions = {},
): Promise<ApiResponse<T>> {
  const headers = { ...options.headers };
  let body: BodyInit | undefined;
  if (typeof options.body === "string" || options.body instanceof Uint8Array) {
    body = options.body as BodyInit;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const response = await fetch(await fnUrl(fn, path, options.query), {
    method: options.method ?? "GET",
    headers,
    body,
  });
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text !== "") {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

/** The path segment for a model id, as the admin API defines it (see docs/FUNCTIONS.md). */
export const modelPath = (id: string) => encodeURIComponent(id);

export type ErrorBody = { error: { code: string; message: string; details?: unknown } };
