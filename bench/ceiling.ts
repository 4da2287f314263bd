// The ceiling for the models benchmark: a bare Deno.serve answering fixed JSON bytes (the body
// our function returned), with no routing, auth or database, sent the way the function sends its
// cached bodies (cachedBodyResponse: text when small, a one-chunk stream when large, whichever is
// faster in bare Deno too). Usage: ceiling.ts <body file> <port>
import { cachedBodyResponse } from "../supabase/functions/_shared/http.ts";

const [file, port] = Deno.args;
const cached = { body: await Deno.readFile(file) };
const headers = { "content-type": "application/json; charset=utf-8" };
Deno.serve(
  { hostname: "127.0.0.1", port: Number(port), onListen: () => console.log("listening") },
  () => cachedBodyResponse(cached, headers),
);
