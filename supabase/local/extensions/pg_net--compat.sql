-- Local stand-in for pg_net (0.19/0.20): the same tables, columns, functions and signatures, the same
-- errors and the same grants as on a Supabase project. The difference is who sends: net.wake()
-- notifies channel `net_http_request_queue`, which net_worker.ts listens on (notifications are
-- delivered only when the inserting transaction commits, which gives pg_net's "sent after commit"
-- semantics); the worker records each answer in net._http_response and deletes answers older than
-- `pg_net.ttl` (default 6 hours), as pg_net's background worker does.
create schema net;

create domain net.http_method as text
check (
  value ilike 'get'
  or value ilike 'post'
  or value ilike 'delete'
);

-- Pending requests; the worker deletes each one as it sends it. As in pg_net, the query string is
-- part of `url` (there is no params column) and there is no primary key.
create unlogged table net.http_request_queue (
  id bigserial,
  method net.http_method not null,
  url text not null,
  headers jsonb,
  body bytea,
  timeout_milliseconds int not null
);

create unlogged table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out bool,
  error_msg text,
  created timestamptz not null default now()
);

create index on net._http_response (created);

-- pg_net's are C (curl_easy_escape and curl's URL API); these give the same results for the URLs
-- we send.
create function net._urlencode_string(string varchar)
returns text
language sql
immutable
as $$
  select coalesce(string_agg(
    case
      when b.byte between 48 and 57 or b.byte between 65 and 90 or b.byte between 97 and 122
        or b.byte in (45, 46, 95, 126) then chr(b.byte)
      else '%' || upper(lpad(to_hex(b.byte), 2, '0'))
    end, '' order by b.i
  ), '')
  from (
    select i, get_byte(convert_to(_urlencode_string.string, 'UTF8'), i) as byte
    from generate_series(0, octet_length(convert_to(_urlencode_string.string, 'UTF8')) - 1) as i
  ) as b
$$;

create function net._encode_url_with_params_array(url text, params_array text[])
returns text
language sql
immutable
as $$
  select case
    when cardinality(_encode_url_with_params_array.params_array) = 0
      then _encode_url_with_params_array.url
    else _encode_url_with_params_array.url
      || case when strpos(_encode_url_with_params_array.url, '?') > 0 then '&' else '?' end
      || array_to_string(_encode_url_with_params_array.params_array, '&')
  end
$$;

create function net.wake()
returns void
language sql
as $$
  select pg_notify('net_http_request_queue', '')
$$;
comment on function net.wake() is 'wakes the worker (local stand-in: a notification sent on commit)';

create function net.http_get(
  -- url for the request
  url text,
  -- key/value pairs to be url encoded and appended to the `url`
  params jsonb default '{}'::jsonb,
  -- key/values to be included in request headers
  headers jsonb default '{}'::jsonb,
  -- the maximum number of milliseconds the request may take before being cancelled
  timeout_milliseconds int default 5000
)
returns bigint
language plpgsql
as $$
declare
  request_id bigint;
  params_array text[];
begin
  select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
  into params_array
  from jsonb_each_text(params);

  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values ('GET', net._encode_url_with_params_array(url, params_array), headers, timeout_milliseconds)
  returning id
  into request_id;

  perform net.wake();

  return request_id;
end
$$;

create function net.http_post(
  -- url for the request
  url text,
  -- body of the POST request
  body jsonb default '{}'::jsonb,
  -- key/value pairs to be url encoded and appended to the `url`
  params jsonb default '{}'::jsonb,
  -- key/values to be included in request headers
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  -- the maximum number of milliseconds the request may take before being cancelled
  timeout_milliseconds int default 5000
)
returns bigint
language plpgsql
as $$
declare
  request_id bigint;
  params_array text[];
  content_type text;
begin
  select header_value into content_type
  from jsonb_each_text(coalesce(headers, '{}'::jsonb)) as r(header_name, header_value)
  where lower(header_name) = 'content-type'
  limit 1;

  -- As pg_net: headers without a content type get JSON's; any other content type is refused.
  if content_type is null then
    select headers || '{"Content-Type": "application/json"}'::jsonb into headers;
  end if;

  if content_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;

  select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
  into params_array
  from jsonb_each_text(params);

  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (
    'POST',
    net._encode_url_with_params_array(url, params_array),
    headers,
    convert_to(body::text, 'UTF8'),
    timeout_milliseconds
  )
  returning id
  into request_id;

  perform net.wake();

  return request_id;
end
$$;

create function net.http_delete(
  -- url for the request
  url text,
  -- key/value pairs to be url encoded and appended to the `url`
  params jsonb default '{}'::jsonb,
  -- key/values to be included in request headers
  headers jsonb default '{}'::jsonb,
  -- the maximum number of milliseconds the request may take before being cancelled
  timeout_milliseconds int default 5000,
  -- optional body of the request
  body jsonb default null
)
returns bigint
language plpgsql
as $$
declare
  request_id bigint;
  params_array text[];
begin
  select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
  into params_array
  from jsonb_each_text(params);

  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (
    'DELETE',
    net._encode_url_with_params_array(url, params_array),
    headers,
    convert_to(body::text, 'UTF8'),
    timeout_milliseconds
  )
  returning id
  into request_id;

  perform net.wake();

  return request_id;
end
$$;

-- pg_net's own grants (since 0.12), plus the schema usage Supabase's grant_pg_net_access event
-- trigger gives the API roles. The functions keep PostgreSQL's default EXECUTE for PUBLIC. All of it
-- is owned by supabase_admin, so a revoke run as `postgres` changes nothing: on Supabase every role
-- can queue requests and read every answer.
grant usage on schema net to public;
grant usage on schema net to postgres, anon, authenticated, service_role;
grant all on all sequences in schema net to public;
grant all on all tables in schema net to public;
