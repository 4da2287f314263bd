-- The pg_net stand-in's worker deletes answers older than pg_net.ttl (6 hours unless set), as
-- pg_net's background worker does. Not wrapped in one transaction: the worker must see the rows.
-- Uses negative ids, which pg_net never assigns.
select plan(2);

delete from net._http_response where id in (-6001, -6002);
insert into net._http_response (id, status_code, content, timed_out, created)
values
  (-6001, 200, 'seven hours old', false, now() - interval '7 hours'),
  (-6002, 200, 'five hours old', false, now() - interval '5 hours');

-- The worker expires answers on each round, at least once a second: wait up to 10 s.
do $$
begin
  for attempt in 1..100 loop
    exit when not exists (select from net._http_response where id = -6001);
    perform pg_sleep(0.1);
  end loop;
end
$$;

select is(
  (select count(*)::int from net._http_response where id = -6001), 0,
  'an answer older than 6 hours is deleted by the worker'
);
select is(
  (select count(*)::int from net._http_response where id = -6002), 1,
  'an answer younger than 6 hours is kept'
);

delete from net._http_response where id in (-6001, -6002);

select * from finish();
