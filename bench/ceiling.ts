// The bare ceiling, for context in the models benchmark: a plain Deno.serve on the edge runtime's
// Deno answering fixed JSON bytes (the body models returned), with no gateway, routing, auth or
// database, sent the way models sends its cached bodies (cachedBodyResponse).
// Usage: ceiling.ts <body file> <port>
import { cachedBodyResponse } from "../supabase/functions/_shared/http.ts";

const [file, port] = Deno.args;
const cached = { body: await Deno.readFile(file) };
const headers = { "content-type": "application/json; charset=utf-8" };
Deno.serve(
  { hostname: "127.0.0.1", port: Number(port), onListen: () => console.log("listening") },
  () => cachedBodyResponse(cached, headers),
);
