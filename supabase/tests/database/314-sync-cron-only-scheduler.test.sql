-- Only the scheduler's role logs a run as the scheduled one: a signed-in admin who calls the sync
-- with triggered_by => 'cron' is refused (42501), so the sync log never attributes an admin's
-- catalog to the schedule; the same admin may sync as 'admin', and the service role as 'cron'.
begin;
\ir _helpers.psql
select plan(3);

select tests.create_user('cron-claim-admin@example.com', 'free', true) as admin_id \gset

select tests.act_as(:'admin_id');
select throws_ok(
  $$select public.sync_openrouter_models('[]'::jsonb, 'cron', false, true)$$,
  '42501',
  'sync_openrouter_models: only the scheduler (service role) syncs as cron',
  'an admin cannot log a sync as the scheduled run'
);
select lives_ok(
  $$select public.sync_openrouter_models('[]'::jsonb, 'admin', false, true)$$,
  'the admin may sync as admin (a dry run here)'
);

select tests.act_as_service_role();
select lives_ok(
  $$select public.sync_openrouter_models('[]'::jsonb, 'cron', false, true)$$,
  'the service role syncs as cron (a dry run here)'
);

select * from finish();
rollback;
