-- public.user_activity keeps a bounded history: 90 days and the newest 1000 entries per user.
-- Each write prunes its writer's history (private.log_user_activity); the daily pg_cron job
-- prune-user-activity prunes everyone's. No API role may prune.
begin;
\ir _helpers.psql
select plan(11);

select
  tests.create_user('retention-alice@example.test') as alice_id,
  tests.create_user('retention-bob@example.test') as bob_id,
  tests.create_user('retention-carol@example.test') as carol_id
\gset

-- Alice: one entry past 90 days, one within; Bob: 1005 recent entries; Carol: both kinds.
select tests.act_as_operator();
insert into public.user_activity (user_id, activity_type, created_at)
values
  (:'alice_id', 'aged', now() - interval '91 days'),
  (:'alice_id', 'kept', now() - interval '89 days'),
  (:'carol_id', 'aged', now() - interval '91 days');
insert into public.user_activity (user_id, activity_type, created_at)
select u.id, 'filler', now() - interval '1 hour' - g * interval '1 second'
from unnest(array[:'bob_id', :'carol_id']::uuid[]) as u (id)
cross join generate_series(1, 1005) as g;

select tests.act_as(:'alice_id');
select public.update_user_preferences(:'alice_id', 'ui', '{"theme": "dark"}');
select is(
  (select array_agg(activity_type order by created_at) from public.user_activity
   where user_id = :'alice_id'),
  array['kept', 'preferences_updated'],
  'a write prunes the writer''s entries older than 90 days'
);

select tests.act_as(:'bob_id');
select public.update_user_preferences(:'bob_id', 'ui', '{"theme": "dark"}');
select tests.act_as_operator();
select is(
  (select count(*)::int from public.user_activity where user_id = :'bob_id'), 1000,
  'a write keeps the writer''s newest 1000 entries'
);
select is(
  (select activity_type from public.user_activity where user_id = :'bob_id'
   order by created_at desc limit 1),
  'preferences_updated',
  'the new entry among them'
);
select is(
  (select min(created_at) from public.user_activity where user_id = :'bob_id'),
  now() - interval '1 hour' - 999 * interval '1 second',
  'and the oldest ones are the ones dropped'
);
select is(
  (select count(*)::int from public.user_activity where user_id = :'carol_id'), 1006,
  'another user''s history is left to the daily job'
);

select is(private.prune_user_activity(), 6::bigint, 'the daily pruning reports what it deleted');
select is(
  (select count(*)::int from public.user_activity where user_id = :'carol_id'), 1000,
  'it keeps every user''s newest 1000 entries'
);
select is(
  (select count(*)::int from public.user_activity where created_at < now() - interval '90 days'),
  0,
  'and nothing older than 90 days'
);

select is(
  (select schedule || ' ' || command || ' ' || username || ' ' || active from cron.job
   where jobname = 'prune-user-activity'),
  '30 3 * * * select private.prune_user_activity() postgres true',
  'the pg_cron job prune-user-activity runs the pruning daily at 03:30 UTC'
);

select tests.act_as(:'alice_id');
select throws_ok(
  'select private.prune_user_activity()',
  '42501',
  'permission denied for function prune_user_activity',
  'users cannot prune'
);
select tests.act_as_service_role();
select throws_ok(
  'select private.prune_user_activity()',
  '42501',
  'permission denied for function prune_user_activity',
  'nor can the service role'
);

select * from finish();
rollback;
