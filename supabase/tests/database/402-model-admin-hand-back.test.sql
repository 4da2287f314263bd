-- public.update_models_access with access_managed_by "rules": hands models back to the tiering
-- rules, which apply at once, in the same call as any limits; marks a model changed when any of
-- its access settings moved; refuses status or flags beside it, and any other value.
begin;
\ir _helpers.psql
select plan(7);

select tests.act_as_operator();
delete from public.model_access;
delete from public.model_access_rules;
insert into public.model_access_rules (priority, name, match_model_id_like, status, is_pro)
values (1, 'hand-back test: hb/ is pro', 'hb/%', 'active', true);
insert into public.model_access (model_id, model_name, status, is_free, access_managed_by)
values ('hb/a', 'A', 'disabled', true, 'admin'), ('hb/b', 'B', 'active', false, 'admin');
update public.model_access set is_pro = true, status = 'active' where model_id = 'hb/b';
select tests.create_user('hand-back-admin@example.test', 'free', true) as admin_id \gset

create temporary view access_state as
select model_id, status::text, is_free, is_pro, daily_limit, access_managed_by
from public.model_access
order by model_id;
grant select on access_state to authenticated;

select tests.act_as(:'admin_id');
select results_eq(
  $$select model_id, changed
    from public.update_models_access(array['hb/a', 'hb/b'], '{"access_managed_by": "rules"}')$$,
  $$values ('hb/a', true), ('hb/b', true)$$,
  'both handed back: each counts as changed (hb/b only changed hands)'
);
select results_eq(
  'select * from access_state',
  $$values ('hb/a', 'active', false, true, null::integer, 'rules'),
           ('hb/b', 'active', false, true, null::integer, 'rules')$$,
  'the rules decided status and flags at once'
);
select is(
  (select count(*)::int
   from public.update_models_access(array['hb/a', 'hb/b'], '{"access_managed_by": "rules"}')
   where changed),
  0, 'handing back again changes nothing'
);
select results_eq(
  $$select model_id, changed, daily_limit
    from public.update_models_access(
      array['hb/a'], '{"access_managed_by": "rules", "daily_limit": 5}'
    )$$,
  $$values ('hb/a', true, 5)$$,
  'a limit may come along, in the same call'
);
select is(
  (select daily_limit from access_state where model_id = 'hb/a'), 5, 'the limit is set'
);
select throws_ok(
  $$select public.update_models_access(
    array['hb/a'], '{"access_managed_by": "rules", "is_free": true}'
  )$$,
  '22023',
  'access_managed_by can only be "rules", which then decide status and tier flags: do not set '
    'them too',
  'status or flags beside the hand-back are refused'
);
select throws_ok(
  $$select public.update_models_access(array['hb/a'], '{"access_managed_by": "admin"}')$$,
  '22023',
  null,
  'only "rules" can be handed to'
);

select * from finish();
rollback;
