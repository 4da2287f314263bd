-- The pg_net stand-in queues requests as pg_net does: its tables' columns, the content type
-- net.http_post insists on, query parameters encoded into the URL, and net.http_delete.
-- Nothing is committed, so nothing is sent.
begin;
select plan(13);

select columns_are(
  'net', 'http_request_queue',
  array['id', 'method', 'url', 'headers', 'body', 'timeout_milliseconds'],
  'net.http_request_queue has pg_net''s columns (no params: the query string is in url)'
);
select columns_are(
  'net', '_http_response',
  array['id', 'status_code', 'content_type', 'headers', 'content', 'timed_out', 'error_msg', 'created'],
  'net._http_response has pg_net''s columns'
);

select throws_ok(
  $$select net.http_post('http://127.0.0.1:9/', headers := '{"Content-Type": "text/plain"}')$$,
  'P0001', 'Content-Type header must be "application/json"',
  'net.http_post refuses any content type but application/json'
);
select throws_ok(
  $$select net.http_post(
      'http://127.0.0.1:9/', headers := '{"content-type": "application/json; charset=utf-8"}')$$,
  'P0001', 'Content-Type header must be "application/json"',
  'net.http_post refuses application/json with parameters, as pg_net compares the whole value'
);

select net.http_post(
  'http://127.0.0.1:9/hook', '{"a": 1}'::jsonb, headers := '{"X-Secret": "s"}'
) as post_id \gset
select is(
  (select headers from net.http_request_queue where id = :post_id),
  '{"X-Secret": "s", "Content-Type": "application/json"}'::jsonb,
  'headers without a content type get application/json added'
);
select is(
  (select convert_from(body, 'UTF8')::jsonb from net.http_request_queue where id = :post_id),
  '{"a": 1}'::jsonb, 'the POST body is the JSON given'
);

select net.http_get(
  'http://127.0.0.1:9/search', params := '{"q": "a b&c", "model": "openai/gpt-4o"}'
) as get_id \gset
select is(
  (select url from net.http_request_queue where id = :get_id),
  'http://127.0.0.1:9/search?q=a%20b%26c&model=openai%2Fgpt-4o',
  'query parameters are percent-encoded into the URL'
);
select is(
  net._encode_url_with_params_array('http://127.0.0.1:9/x?a=1', array['b=2']),
  'http://127.0.0.1:9/x?a=1&b=2', 'parameters are appended to a URL that has a query already'
);

select net.http_delete(
  'http://127.0.0.1:9/items/1', body := '{"reason": "test"}'::jsonb
) as delete_id \gset
select is(
  (select method from net.http_request_queue where id = :delete_id), 'DELETE',
  'net.http_delete queues a DELETE'
);
select is(
  (select convert_from(body, 'UTF8')::jsonb from net.http_request_queue where id = :delete_id),
  '{"reason": "test"}'::jsonb, 'net.http_delete sends the optional body'
);
select is(
  (select timeout_milliseconds from net.http_request_queue where id = :delete_id), 5000,
  'net.http_delete times out after 5 s by default'
);

select net.http_delete('http://127.0.0.1:9/items/2') as bare_delete_id \gset
select is(
  (select body from net.http_request_queue where id = :bare_delete_id), null,
  'a DELETE without a body queues none'
);

select throws_ok(
  $$insert into net.http_request_queue (method, url, timeout_milliseconds)
    values ('PUT', 'http://127.0.0.1:9/', 1000)$$,
  '23514', null, 'only GET, POST and DELETE can be queued'
);

select * from finish();
rollback;
