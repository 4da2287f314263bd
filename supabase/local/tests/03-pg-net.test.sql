-- The pg_net stand-in sends a request only once the calling transaction commits.
-- Not wrapped in one transaction: committing is the point. Needs the stack's gateway, whose
-- /health endpoint answers 200 (pg_prove --set api_url=http://127.0.0.1:<port>).
select plan(5);

-- Rolled back: must never be sent.
begin;
select net.http_post(:'api_url' || '/health') as rolled_back_id \gset
rollback;

-- Committed (autocommit): queued, then sent by the worker.
select net.http_post(:'api_url' || '/health', '{"from": "compat test"}'::jsonb) as committed_id \gset

select ok(:committed_id > :rolled_back_id, 'the committed request was queued after the rolled-back one');

-- Wait up to 10 s for the worker to record the committed request's answer (a loop, so that each
-- check sees a fresh snapshot).
select set_config('compat.committed_id', :'committed_id', false);
do $$
begin
  for attempt in 1..100 loop
    exit when exists (
      select from net._http_response where id = current_setting('compat.committed_id')::bigint
    );
    perform pg_sleep(0.1);
  end loop;
end
$$;

select is(
  (select status_code from net._http_response where id = :committed_id), 200,
  'a committed net.http_post reaches the HTTP listener'
);
select is(
  (select content::jsonb ->> 'ok' from net._http_response where id = :committed_id), 'true',
  'the answer is recorded in net._http_response'
);

-- Leave the worker time to send anything it wrongly had.
select pg_sleep(1.5);
select is(
  (select count(*)::int from net._http_response where id = :rolled_back_id), 0,
  'a net.http_post in a rolled-back transaction is never sent'
);
select is(
  (select count(*)::int from net.http_request_queue where id in (:committed_id, :rolled_back_id)), 0,
  'the queue holds neither request'
);

select * from finish();
