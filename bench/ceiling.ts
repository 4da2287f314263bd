// The ceiling for the models benchmark: a bare Deno.serve answering fixed JSON bytes (the body
// our function returned), with no routing, auth or database, sent the way the function sends its
// cached bodies (cachedBodyResponse: text when small, a one-chunk stream when large, whichever is
// faster in bare Deno too). Given a headers file, it also reads the Authorization header and
// answers with those headers (our function's): the cost of the API's contract alone.
// Usage: ceiling.ts <body file> <port> [<headers JSON file>]
import { cachedBodyResponse } from "../supabase/functions/_shared/http.ts";

const [file, port, headersFile] = Deno.args;
const cached = { body: await Deno.readFile(file) };
const bare = { "content-type": "application/json; charset=utf-8" };
const contract: Record<string, string> | undefined = headersFile
  ? JSON.parse(await Deno.readTextFile(headersFile))
  : undefined;
Deno.serve(
  { hostname: "127.0.0.1", port: Number(port), onListen: () => console.log("listening") },
  contract
    ? (request) => {
      if (!request.headers.get("authorization")) return new Response(null, { status: 401 });
      return cachedBodyResponse(cached, { ...contract, "x-request-id": crypto.randomUUID() });
    }
    : () => cachedBodyResponse(cached, bare),
);
