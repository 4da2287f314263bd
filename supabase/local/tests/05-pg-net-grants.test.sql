-- pg_net's privileges are Supabase's: every role, the API roles and any role created later, may
-- use schema net, call its functions and read and write its tables; a revoke run as `postgres`
-- changes nothing, because pg_net's objects belong to supabase_admin. Our own code must therefore
-- never rely on pg_net being private.
begin;
select plan(17);

create role compat_new_role nologin;

select ok(has_schema_privilege(r, 'net', 'usage'), r || ' has usage on schema net')
from unnest(array['anon', 'authenticated', 'service_role', 'compat_new_role']) as r;

select ok(
  has_function_privilege(r, 'net.http_post(text, jsonb, jsonb, jsonb, integer)', 'execute')
    and has_function_privilege(r, 'net.http_get(text, jsonb, jsonb, integer)', 'execute')
    and has_function_privilege(r, 'net.http_delete(text, jsonb, jsonb, integer, jsonb)', 'execute'),
  r || ' may call net.http_post, http_get and http_delete'
)
from unnest(array['anon', 'authenticated', 'service_role', 'compat_new_role']) as r;

select ok(
  has_table_privilege(r, 'net._http_response', 'select')
    and has_table_privilege(r, 'net.http_request_queue', 'select, insert, delete'),
  r || ' may read every answer and every queued request'
)
from unnest(array['anon', 'authenticated', 'service_role', 'compat_new_role']) as r;

-- Warns "no privileges could be revoked" and changes nothing, as on Supabase.
set local client_min_messages = error;
revoke execute on function net.http_post(text, jsonb, jsonb, jsonb, integer) from anon;
revoke usage on schema net from anon;
revoke select on net._http_response from anon;
reset client_min_messages;
select ok(
  has_function_privilege('anon', 'net.http_post(text, jsonb, jsonb, jsonb, integer)', 'execute'),
  'a revoke of EXECUTE by postgres leaves anon''s'
);
select ok(has_schema_privilege('anon', 'net', 'usage'), 'a revoke of USAGE by postgres leaves anon''s');
select ok(
  has_table_privilege('anon', 'net._http_response', 'select'),
  'a revoke of SELECT by postgres leaves anon''s'
);

set local role anon;
select lives_ok(
  $$select net.http_get('http://127.0.0.1:9/')$$, 'anon queues a request (rolled back: never sent)'
);
select lives_ok($$select count(*) from net._http_response$$, 'anon reads net._http_response');
reset role;

select * from finish();
rollback;
