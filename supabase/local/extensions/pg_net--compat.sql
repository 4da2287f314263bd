-- Local stand-in for pg_net. Same objects and signatures as pg_net; the difference is who sends:
-- net_worker.ts listens on channel `net_http_request_queue` (notifications are delivered only when
-- the inserting transaction commits, which gives pg_net's "sent after commit" semantics) and polls
-- as a fallback, then records each answer in net._http_response.
create schema net;

create table net.http_request_queue (
  id bigserial primary key,
  method text not null check (method in ('GET', 'POST', 'DELETE')),
  url text not null,
  params jsonb not null default '{}'::jsonb,
  headers jsonb not null default '{}'::jsonb,
  body bytea,
  timeout_milliseconds integer not null
);

create unlogged table net._http_response (
  id bigint primary key,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);

create function net._enqueue(
  method text, url text, params jsonb, headers jsonb, body bytea, timeout_milliseconds integer
) returns bigint
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  request_id bigint;
begin
  insert into net.http_request_queue (method, url, params, headers, body, timeout_milliseconds)
  values (
    _enqueue.method, _enqueue.url, coalesce(_enqueue.params, '{}'::jsonb),
    coalesce(_enqueue.headers, '{}'::jsonb), _enqueue.body, _enqueue.timeout_milliseconds
  )
  returning id into request_id;
  perform pg_notify('net_http_request_queue', request_id::text);
  return request_id;
end;
$$;

create function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language sql volatile
set search_path = ''
as $$
  select net._enqueue(
    'POST', http_post.url, http_post.params, http_post.headers,
    convert_to(http_post.body::text, 'UTF8'), http_post.timeout_milliseconds
  )
$$;

create function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language sql volatile
set search_path = ''
as $$
  select net._enqueue(
    'GET', http_get.url, http_get.params, http_get.headers, null, http_get.timeout_milliseconds
  )
$$;

revoke all on schema net from public;
revoke all on all tables in schema net from public;
revoke all on all functions in schema net from public;
grant usage on schema net to postgres, service_role;
grant select on net.http_request_queue, net._http_response to postgres, service_role;
grant execute on all functions in schema net to postgres, service_role;
