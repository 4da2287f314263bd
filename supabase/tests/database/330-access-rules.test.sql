-- Tiering rules: public.model_access_rules applied by the sync. Each rule kind
-- (id LIKE, id regex, provider, `:free` variant, prompt and completion price ranges, context
-- length, input and output modality), priority order and disabled rules; no match leaves a model
-- new; the seeded default rule and the free -> paid demotion; manual override stickiness (admin
-- function and operator edit) and handing back; rules re-applied on demand; dry-run previews;
-- a no-change sync still writes nothing; who may read and manage the rules.
begin;
\ir _helpers.psql
select plan(47);

-- A catalog record with the attributes rules match on.
create function tests.rule_model(
  model_id text,
  prompt text default '0.000001',
  completion text default '0.000002',
  context integer default 8192,
  input_modalities jsonb default '["text"]',
  output_modalities jsonb default '["text"]',
  description text default null
)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select tests.catalog_model(rule_model.model_id, null, rule_model.prompt, rule_model.completion)
    || jsonb_build_object(
      'context_length', rule_model.context,
      'description', coalesce(rule_model.description, 'Test model ' || rule_model.model_id)
    )
    || jsonb_build_object('architecture', jsonb_build_object(
      'modality', 'text->text',
      'input_modalities', rule_model.input_modalities,
      'output_modalities', rule_model.output_modalities,
      'tokenizer', 'Other'
    ));
$$;

-- status and flags in one word: 'active 110' = active, is_free, is_pro, not is_enterprise.
create function tests.access(model_id text)
returns text
language sql
stable
set search_path = ''
as $$
  select m.status || ' ' || m.is_free::int || m.is_pro::int || m.is_enterprise::int
  from public.model_access as m
  where m.model_id = access.model_id;
$$;
grant execute on all functions in schema tests to anon, authenticated, service_role;

select
  tests.create_user('rules-admin@example.com', 'free', true) as admin_id,
  tests.create_user('rules-user@example.com', 'enterprise', false) as user_id
\gset

select ok(
  exists (
    select 1 from public.model_access_rules
    where enabled and match_is_free_variant and match_min_prompt_price = 0
      and match_max_prompt_price = 0 and match_min_completion_price = 0
      and match_max_completion_price = 0 and status = 'active' and is_free and is_pro
      and is_enterprise
  ),
  'seed.sql ships the default rule: zero-priced :free variants are active for every tier'
);

select tests.act_as_operator();
delete from public.model_access;

-- The admin writes the rules through RLS. prio-co's rules are inserted in reverse priority order:
-- priority decides, not insertion order.
select tests.act_as(:'admin_id');
insert into public.model_access_rules (
  priority, name, enabled, match_model_id_like, match_model_id_regex, match_provider,
  match_is_free_variant, match_min_prompt_price, match_max_prompt_price,
  match_min_completion_price, match_max_completion_price, match_min_context_length,
  match_input_modality, match_output_modality, status, is_free, is_pro, is_enterprise
)
values
  (6, 'prio-co fallback', true, null, null, 'prio-co', null, null, null, null, null, null, null, null, 'active', false, false, true),
  (5, 'prio-co first', true, 'prio-co/first%', null, null, null, null, null, null, null, null, null, null, 'active', true, false, false),
  (10, 'like', true, 'like-co/%-pro', null, null, null, null, null, null, null, null, null, null, 'active', false, true, false),
  (20, 'regex', true, null, '^regex-co/v[0-9]+$', null, null, null, null, null, null, null, null, null, 'active', false, false, true),
  (30, 'provider', true, null, null, 'prov-co', null, null, null, null, null, null, null, null, 'active', true, true, true),
  (40, 'free variant', true, null, null, 'fv-co', true, null, null, null, null, null, null, null, 'active', true, false, false),
  (50, 'prompt price range', true, null, null, 'price-co', null, 0.0000005, 0.000001, null, null, null, null, null, 'active', false, true, false),
  (60, 'completion price range', true, null, null, 'comp-co', null, null, null, 0.00001, 0.0001, null, null, null, 'disabled', false, false, false),
  (70, 'long context', true, null, null, 'ctx-co', null, null, null, null, null, 100000, null, null, 'active', false, false, true),
  (80, 'image input', true, null, null, 'mod-co', null, null, null, null, null, null, 'image', null, 'active', false, true, false),
  (81, 'image output', true, null, null, 'out-co', null, null, null, null, null, null, null, 'image', 'active', false, false, true),
  (90, 'switched off', false, null, null, 'off-co', null, null, null, null, null, null, null, null, 'active', true, true, true);

create temporary table catalog_a on commit drop as
select jsonb_build_array(
  tests.rule_model('prio-co/first-1'),
  tests.rule_model('prio-co/other'),
  tests.rule_model('like-co/x-pro'),
  tests.rule_model('like-co/x-lite'),
  tests.rule_model('regex-co/v2'),
  tests.rule_model('regex-co/v2-beta'),
  tests.rule_model('prov-co/a'),
  tests.rule_model('prov-co/b'),
  tests.rule_model('fv-co/m:free'),
  tests.rule_model('fv-co/m'),
  tests.rule_model('price-co/cheap', '0.0000008'),
  tests.rule_model('price-co/too-cheap', '0.0000001'),
  tests.rule_model('price-co/dear', '0.00001'),
  tests.rule_model('comp-co/mid', '0.000001', '0.00005'),
  tests.rule_model('comp-co/low', '0.000001', '0.000002'),
  tests.rule_model('ctx-co/long', context => 200000),
  tests.rule_model('ctx-co/short', context => 8192),
  tests.rule_model('mod-co/vision', input_modalities => '["text", "image"]'),
  tests.rule_model('mod-co/text'),
  tests.rule_model('out-co/painter', output_modalities => '["image"]'),
  tests.rule_model('out-co/writer'),
  tests.rule_model('off-co/m'),
  tests.rule_model('free-co/m:free', '0', '0'),
  tests.rule_model('free-co/router:free', '-1', '-1'),
  tests.rule_model('free-co/paid:free', '0.000001', '0')
) as data;
grant select on catalog_a to authenticated, service_role;

-- A dry run previews what the rules would set, and writes nothing.
select tests.act_as_service_role();
select public.sync_openrouter_models((select data from catalog_a), 'cron', dry_run => true)
  as preview \gset
select is(
  (select count(*)::int from public.model_access), 0, 'a dry run writes nothing'
);
select is(
  (select r from jsonb_array_elements(:'preview'::jsonb -> 'rule_changes') as r
   where r ->> 'model_id' = 'prov-co/a'),
  jsonb_build_object(
    'model_id', 'prov-co/a', 'rule', 'provider', 'new_model', true, 'status', 'active',
    'is_free', true, 'is_pro', true, 'is_enterprise', true
  ),
  'a dry run previews the rule a new model would get'
);

select public.sync_openrouter_models((select data from catalog_a), 'cron') as first \gset
select is((:'first'::jsonb ->> 'success')::boolean, true, 'the sync succeeds');
select results_eq(
  $$select m.model_id, tests.access(m.model_id)
    from public.model_access as m order by m.model_id collate "C"$$,
  $$values
    ('comp-co/low', 'new 000'),
    ('comp-co/mid', 'disabled 000'),
    ('ctx-co/long', 'active 001'),
    ('ctx-co/short', 'new 000'),
    ('free-co/m:free', 'active 111'),
    ('free-co/paid:free', 'new 000'),
    ('free-co/router:free', 'new 000'),
    ('fv-co/m', 'new 000'),
    ('fv-co/m:free', 'active 100'),
    ('like-co/x-lite', 'new 000'),
    ('like-co/x-pro', 'active 010'),
    ('mod-co/text', 'new 000'),
    ('mod-co/vision', 'active 010'),
    ('off-co/m', 'new 000'),
    ('out-co/painter', 'active 001'),
    ('out-co/writer', 'new 000'),
    ('price-co/cheap', 'active 010'),
    ('price-co/dear', 'new 000'),
    ('price-co/too-cheap', 'new 000'),
    ('prio-co/first-1', 'active 100'),
    ('prio-co/other', 'active 001'),
    ('prov-co/a', 'active 111'),
    ('prov-co/b', 'active 111'),
    ('regex-co/v2', 'active 001'),
    ('regex-co/v2-beta', 'new 000')$$,
  'each rule kind sets access; the first match by priority wins; no match leaves a model new'
);
select is(
  (:'first'::jsonb ->> 'models_access_by_rules')::int, 13,
  'the sync counts the models whose access rules set'
);
select is(
  (select count(*)::int from public.model_access where access_managed_by <> 'rules'), 0,
  'synced models are rule-managed'
);

-- The same catalog again: nothing written.
select public.sync_openrouter_models((select data from catalog_a), 'cron') as again \gset
select is((:'again'::jsonb ->> 'rows_written')::int, 0, 'a no-change sync writes nothing');
select is((:'again'::jsonb ->> 'models_access_by_rules')::int, 0, 'and changes no access');

-- Free -> paid: the :free variant starts charging and leaves every tier; the audit shows it.
select public.sync_openrouter_models(
  (select jsonb_agg(
     case when r ->> 'id' = 'free-co/m:free' then tests.rule_model('free-co/m:free', '0.000001', '0.000002') else r end)
   from jsonb_array_elements((select data from catalog_a)) as r),
  'cron'
) as paid \gset
select is(tests.access('free-co/m:free'), 'new 000', 'a free model turned paid leaves every tier');
select is((:'paid'::jsonb ->> 'models_access_by_rules')::int, 1, 'one model re-tiered by rules');
select is(
  (select jsonb_build_object('old', old_values, 'new', new_values, 'run', sync_log_id)
   from public.model_access_audit
   where model_id = 'free-co/m:free' order by id desc limit 1),
  jsonb_build_object(
    'old', '{"status": "active", "is_free": true, "is_pro": true, "is_enterprise": true}'::jsonb,
    'new', '{"status": "new", "is_free": false, "is_pro": false, "is_enterprise": false}'::jsonb,
    'run', (:'paid'::jsonb -> 'sync_log_id')
  ),
  'the demotion is audited as the run''s'
);
select is(
  (select access_managed_by from public.model_access where model_id = 'free-co/m:free'), 'rules',
  'a rule change keeps the model rule-managed'
);
select is(
  (select count(*)::int from public.model_price_history where model_id = 'free-co/m:free'), 2,
  'the price change is in the price history'
);
-- And back to free: back on every tier.
select public.sync_openrouter_models((select data from catalog_a), 'cron');
select is(tests.access('free-co/m:free'), 'active 111', 'free again: back on every tier');

-- Manual override: the admin changes prov-co/a; rules no longer touch it.
select tests.act_as(:'admin_id');
select public.update_models_access(array['prov-co/a'], '{"is_free": false}');
select is(
  (select access_managed_by from public.model_access where model_id = 'prov-co/a'), 'admin',
  'an admin change makes the model admin-managed'
);
select is(
  (select access_managed_by from public.model_access where model_id = 'prov-co/b'), 'rules',
  'other models stay rule-managed'
);
-- A limit is not access: it leaves the model rule-managed.
select public.update_models_access(array['prov-co/b'], '{"daily_limit": 10}');
select is(
  (select access_managed_by from public.model_access where model_id = 'prov-co/b'), 'rules',
  'changing a limit leaves the model rule-managed'
);
-- An operator edit in Studio counts as a decision too.
select tests.act_as_operator();
update public.model_access set status = 'disabled' where model_id = 'like-co/x-pro';
select is(
  (select access_managed_by from public.model_access where model_id = 'like-co/x-pro'), 'admin',
  'an operator''s edit makes the model admin-managed'
);

-- Upstream changes of all three: rules re-apply to the rule-managed one only.
create temporary table catalog_c on commit drop as
select jsonb_agg(
  case when r ->> 'id' in ('prov-co/a', 'prov-co/b', 'like-co/x-pro')
    then r || '{"description": "changed upstream"}' else r end
) as data
from jsonb_array_elements((select data from catalog_a)) as r;
grant select on catalog_c to authenticated, service_role;
select tests.act_as_service_role();
update public.model_access set is_pro = false where model_id = 'prov-co/b';
select is(
  (select access_managed_by from public.model_access where model_id = 'prov-co/b'), 'admin',
  'a service-role edit outside the rules makes the model admin-managed'
);
select tests.act_as(:'admin_id');
select public.hand_models_to_rules(array['prov-co/b']) as handed \gset
select is(tests.access('prov-co/b'), 'active 111', 'handing back applies the rules at once');
select is((:'handed'::jsonb ->> 'updated_count')::int, 1, 'hand-back reports what it changed');
select is(
  (select access_managed_by from public.model_access where model_id = 'prov-co/b'), 'rules',
  'the model is rule-managed again'
);
select public.sync_openrouter_models((select data from catalog_c), 'admin') as third \gset
select is(tests.access('prov-co/a'), 'active 011', 'an admin-managed model keeps its access');
select is(tests.access('like-co/x-pro'), 'disabled 010', 'an operator''s decision sticks');
select is(
  (select model_description from public.model_access where model_id = 'prov-co/a'),
  'changed upstream',
  'the admin-managed model still gets its upstream data'
);

-- Handing both back: they follow the rules again.
select public.hand_models_to_rules(array['prov-co/a', 'like-co/x-pro']) as back \gset
select is(tests.access('prov-co/a'), 'active 111', 'a handed-back model takes the rule''s access');
select is(tests.access('like-co/x-pro'), 'active 010', 'and so does the operator-edited one');
select is(
  (select array_agg(access_managed_by) from public.model_access
   where model_id in ('prov-co/a', 'like-co/x-pro')),
  array['rules', 'rules'],
  'both are rule-managed again'
);
select is(
  tests.refusal(
    $$select public.hand_models_to_rules(array['zz/none', 'nobody/none', 'prov-co/a'])$$
  ),
  '{"sqlstate": "P0002", "message": "unknown model ids: nobody/none, zz/none",
    "detail": "[\"nobody/none\", \"zz/none\"]", "column": null}'::jsonb,
  'handing back unknown models is refused, naming them in the message and the detail'
);
select throws_ok(
  $$select public.hand_models_to_rules(array[null]::text[])$$,
  '22023', 'model_ids must name at least one model',
  'so is naming no model'
);

-- Editing a rule: a dry run of a changed model previews it; apply_model_access_rules applies it.
update public.model_access_rules set is_free = false where name = 'provider';
select public.sync_openrouter_models(
  (select jsonb_agg(
     case when r ->> 'id' = 'prov-co/b' then r || '{"description": "again"}' else r end)
   from jsonb_array_elements((select data from catalog_c)) as r),
  'admin', dry_run => true
) as preview2 \gset
select is(
  (select r from jsonb_array_elements(:'preview2'::jsonb -> 'rule_changes') as r
   where r ->> 'model_id' = 'prov-co/b'),
  jsonb_build_object(
    'model_id', 'prov-co/b', 'rule', 'provider', 'new_model', false, 'status', 'active',
    'is_free', false, 'is_pro', true, 'is_enterprise', true
  ),
  'a dry run previews a rule-managed model''s new access'
);
select is(tests.access('prov-co/b'), 'active 111', 'the dry run changed nothing');
select public.apply_model_access_rules() as applied \gset
select is(
  (select array_agg(c ->> 'model_id' order by c ->> 'model_id')
   from jsonb_array_elements(:'applied'::jsonb -> 'changes') as c),
  array['prov-co/a', 'prov-co/b'],
  'apply_model_access_rules re-applies the edited rule to the rule-managed models'
);
select is(tests.access('prov-co/b'), 'active 011', 'the edited rule applies');

-- A removed rule-managed model stays inactive and gets the rule's status back on return.
select tests.act_as_service_role();
select public.sync_openrouter_models(
  (select jsonb_agg(r) from jsonb_array_elements((select data from catalog_c)) as r
   where r ->> 'id' <> 'ctx-co/long'),
  'cron'
);
select is(tests.access('ctx-co/long'), 'inactive 001', 'a rule-managed model gone upstream is inactive');
select is(
  (select access_managed_by from public.model_access where model_id = 'ctx-co/long'), 'rules',
  'and stays rule-managed'
);
select public.sync_openrouter_models((select data from catalog_c), 'cron');
select is(tests.access('ctx-co/long'), 'active 001', 'on its return the rules decide again');

-- Who may read and manage the rules.
select tests.act_as(:'user_id');
select is((select count(*)::int from public.model_access_rules), 0, 'users read no rules');
select throws_ok(
  $$insert into public.model_access_rules (priority, name, status) values (1, 'mine', 'active')$$,
  '42501',
  'new row violates row-level security policy for table "model_access_rules"',
  'users cannot add rules'
);
select is_empty(
  $$update public.model_access_rules set enabled = false returning id$$,
  'users cannot change rules'
);
select throws_ok(
  'select public.apply_model_access_rules()',
  '42501',
  'permission denied: only admins and the service role can apply access rules',
  'users cannot apply the rules'
);
select throws_ok(
  $$select public.hand_models_to_rules(array['prov-co/a'])$$,
  '42501',
  'permission denied: only admins and the service role can change model access',
  'users cannot hand models back'
);
select tests.act_as_anon();
select throws_ok(
  'select count(*) from public.model_access_rules',
  '42501',
  'permission denied for table model_access_rules',
  'anon cannot read the rules'
);
select tests.act_as(:'admin_id');
select throws_ok(
  $$insert into public.model_access_rules (priority, name, status) values (1, 'odd', 'inactive')$$,
  '23514',
  'new row for relation "model_access_rules" violates check constraint "model_access_rules_status_check"',
  'a rule cannot set inactive'
);
select lives_ok(
  $$delete from public.model_access_rules where name = 'switched off'$$,
  'admins can delete rules'
);
select tests.act_as_service_role();
select ok(
  (select count(*) from public.model_access_rules) > 0, 'the service role reads the rules'
);

select * from finish();
rollback;
