// The least a function can be: what the cold-start benchmark compares models' first answer with.
Deno.serve(() => new Response("ok"));
