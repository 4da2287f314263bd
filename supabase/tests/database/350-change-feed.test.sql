-- Change feed: public.model_change_digests. A sync that changes the catalog stores
-- one digest (added, inactivated, reactivated, price changes of known models, access changes by
-- rules); a sync that changes nothing and a dry run store none; with the Vault secrets
-- catalog_webhook_url / catalog_webhook_secret the digest is queued through pg_net with
-- X-Webhook-Secret; a digest that cannot be stored does not fail the sync; who may read the
-- digests and call the helper.
begin;
\ir _helpers.psql
select plan(21);

select tests.act_as_operator();
delete from public.model_access;
delete from public.model_access_rules;
delete from vault.secrets where name in ('catalog_webhook_url', 'catalog_webhook_secret');
insert into public.model_access_rules (priority, name, match_provider, match_max_prompt_price, status, is_free)
values (1, 'cheap feed models are free', 'feed', 0.0000015, 'active', true);

select
  tests.create_user('feed-admin@example.com', 'free', true) as admin_id,
  tests.create_user('feed-user@example.com', 'enterprise') as user_id
\gset

select tests.act_as_service_role();
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('feed/a'), tests.catalog_model('feed/b'), tests.catalog_model('feed/c')),
  'cron'
) as first \gset
select is(
  (select count(*)::int from public.model_change_digests), 1, 'a sync that adds models stores a digest'
);
select is(
  (select digest -> 'added' from public.model_change_digests
   where sync_log_id = (:'first'::jsonb ->> 'sync_log_id')::bigint),
  '["feed/a", "feed/b", "feed/c"]'::jsonb,
  'listing the added models'
);
select is(
  (select webhook_status from public.model_change_digests
   where sync_log_id = (:'first'::jsonb ->> 'sync_log_id')::bigint),
  'not_configured',
  'without a webhook URL nothing is sent'
);

-- Nothing changed, a dry run: no digest.
select public.sync_openrouter_models(
  jsonb_build_array(tests.catalog_model('feed/a'), tests.catalog_model('feed/b'), tests.catalog_model('feed/c')),
  'cron'
);
select public.sync_openrouter_models(jsonb_build_array(tests.catalog_model('feed/a')), 'cron', dry_run => true);
select is((select count(*)::int from public.model_change_digests), 1, 'no digest for a no-change sync or a dry run');

-- The webhook is configured: the next digest is queued with the secret header.
select tests.act_as_operator();
select vault.create_secret('https://hooks.example.test/catalog', 'catalog_webhook_url');
select vault.create_secret('feed-webhook-secret', 'catalog_webhook_secret');
select coalesce(max(id), 0) as queue_before from net.http_request_queue \gset

-- feed/a repriced (and made paid: the rule no longer matches), feed/b gone, feed/d new.
select tests.act_as_service_role();
select public.sync_openrouter_models(
  jsonb_build_array(
    tests.catalog_model('feed/a', null, '0.000003', '0.000004'),
    tests.catalog_model('feed/c'),
    tests.catalog_model('feed/d')
  ),
  'cron'
) as second \gset
select is((:'second'::jsonb ->> 'success')::boolean, true, 'the sync succeeds');
select tests.act_as_operator();
select
  digest as d, webhook_status, webhook_request_id, models_added, models_inactivated,
  models_reactivated, price_changes, rule_access_changes
from public.model_change_digests
where sync_log_id = (:'second'::jsonb ->> 'sync_log_id')::bigint
\gset second_
select is(:'second_d'::jsonb -> 'added', '["feed/d"]'::jsonb, 'added');
select is(:'second_d'::jsonb -> 'inactivated', '["feed/b"]'::jsonb, 'inactivated');
select is(
  :'second_d'::jsonb -> 'price_changes',
  '[{"model_id": "feed/a", "old": {"prompt": "0.000001", "completion": "0.000002"},
     "new": {"prompt": "0.000003", "completion": "0.000004"}}]'::jsonb,
  'price changes of known models, old and new'
);
select is(
  :'second_d'::jsonb -> 'rule_access_changes',
  '[{"model_id": "feed/a", "rule": null, "status": "new", "is_free": false, "is_pro": false,
     "is_enterprise": false}]'::jsonb,
  'access changes by the rules (feed/a turned paid and left the free tier)'
);
select is(
  array[:second_models_added, :second_models_inactivated, :second_models_reactivated,
        :second_price_changes, :second_rule_access_changes],
  array[1, 1, 0, 1, 1],
  'the counts'
);
select is(
  (:'second_d'::jsonb ->> 'sync_log_id')::bigint, (:'second'::jsonb ->> 'sync_log_id')::bigint,
  'the digest names its sync run'
);
select is(:'second_webhook_status'::text, 'queued', 'the webhook is queued');
select is(
  (select url from net.http_request_queue where id = :second_webhook_request_id),
  'https://hooks.example.test/catalog'::text,
  'to the configured URL'
);
select is(
  (select headers ->> 'X-Webhook-Secret' from net.http_request_queue
   where id = :second_webhook_request_id),
  'feed-webhook-secret'::text,
  'with the secret header'
);
select is(
  (select convert_from(body, 'UTF8')::jsonb from net.http_request_queue
   where id = :second_webhook_request_id),
  :'second_d'::jsonb,
  'and the digest as body'
);

-- feed/b returns while the digest cannot be stored (a constraint added for this test rejects
-- every row): the sync completes anyway, without a digest.
savepoint broken_digests;
set local client_min_messages = error;
alter table public.model_change_digests
  add constraint reject_everything check (false) not valid;
select tests.act_as_service_role();
select public.sync_openrouter_models(
  jsonb_build_array(
    tests.catalog_model('feed/a', null, '0.000003', '0.000004'),
    tests.catalog_model('feed/b'),
    tests.catalog_model('feed/c'),
    tests.catalog_model('feed/d')
  ),
  'cron'
) as third \gset
select is(
  (select sync_status from public.model_sync_log where id = (:'third'::jsonb ->> 'sync_log_id')::bigint),
  'completed',
  'a digest that cannot be stored does not fail the sync'
);
select is(
  (select models_reactivated from public.model_sync_log
   where id = (:'third'::jsonb ->> 'sync_log_id')::bigint),
  1,
  'whose changes are kept'
);
select tests.act_as_operator();
rollback to savepoint broken_digests;

-- Who may read and write.
select tests.act_as(:'admin_id');
select is((select count(*)::int from public.model_change_digests), 2, 'admins read the digests');
select tests.act_as(:'user_id');
select is((select count(*)::int from public.model_change_digests), 0, 'users read none');
select is(
  private.record_change_digest(1, '{"added": []}'), null,
  'users cannot record digests through the helper'
);
select tests.act_as_anon();
select throws_ok(
  'select count(*) from public.model_change_digests',
  '42501',
  'permission denied for table model_change_digests',
  'anon cannot read the digests'
);

select * from finish();
rollback;
