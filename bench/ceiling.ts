// The ceiling for the models benchmark: a bare Deno.serve answering fixed JSON bytes (the body
// our function returned), with no routing, auth or database. Usage: ceiling.ts <body file> <port>
const [file, port] = Deno.args;
const body = await Deno.readFile(file);
Deno.serve(
  { hostname: "127.0.0.1", port: Number(port), onListen: () => console.log("listening") },
  () => new Response(body, { headers: { "content-type": "application/json; charset=utf-8" } }),
);
