-- public.update_models_access and public.deprecate_models answer with the catalog rows they
-- changed, so that the admin API needs one call per write: every column as the catalog now has it,
-- each updated row marked whether it changed. What they refuse they raise with what the API
-- answers: the unknown ids (P0002) and the models in the wrong state (55000) as a JSON array in the
-- detail, the field at fault in the column. Admins and the service role; users and anon are
-- refused.
begin;
\ir _helpers.psql
select plan(13);

select tests.act_as_operator();
delete from public.model_access where model_id like 'rows/%';
insert into public.model_access (model_id, model_name, status, is_free, prompt_price)
values
  ('rows/a', 'A', 'active', false, 0.000001),
  ('rows/b', 'B', 'active', true, 0.000002),
  ('rows/new', 'New', 'new', false, null);
select tests.create_user('write-rows-admin@example.test', 'free', true) as admin_id \gset
select tests.create_user('write-rows-user@example.test', 'enterprise') as user_id \gset

-- The columns the functions answer with, as the catalog holds them now.
create temporary view admin_columns as
select model_id, model_name, status::text, is_free, is_pro, daily_limit, prompt_price,
  access_managed_by, deprecated_at, sunset_at, replacement_model_id, updated_at
from public.model_access
where model_id like 'rows/%';
grant select on admin_columns to authenticated, service_role;

select tests.act_as(:'admin_id');
-- Kept in a table first, so that the catalog is read after the write.
create temporary table updated_answer as
select changed, model_id, model_name, status, is_free, is_pro, daily_limit, prompt_price,
  access_managed_by, deprecated_at, sunset_at, replacement_model_id, updated_at
from public.update_models_access(array['rows/b', 'rows/a'], '{"is_free": true}');
select results_eq(
  'select * from updated_answer',
  $$select model_id = 'rows/a', * from admin_columns where model_id in ('rows/a', 'rows/b')
    order by model_id$$,
  'update_models_access answers with the models as written, by id; only rows/a changed'
);
select is(
  tests.refusal($$
    select public.update_models_access(array['rows/a', 'rows/x', 'rows/w'], '{"is_pro": true}')
  $$) - 'message',
  '{"sqlstate": "P0002", "detail": "[\"rows/w\", \"rows/x\"]", "column": null}'::jsonb,
  'unknown ids: P0002, the ids in the detail as a JSON array'
);
select is(
  tests.refusal($$select public.update_models_access(array['rows/a'], '{"status": "inactive"}')$$)
    - 'message',
  '{"sqlstate": "22023", "detail": null, "column": "status"}'::jsonb,
  'a status an admin may not set: 22023, naming the status'
);
select is(
  tests.refusal($$select public.update_models_access(array['rows/a'], '{"daily_limit": 0}')$$)
    ->> 'column',
  null,
  'a refusal the caller validates first names no column'
);

create temporary table deprecated_answer as
select model_id, status::text, sunset_at, replacement_model_id, access_managed_by, updated_at
from public.deprecate_models(array['rows/a'], 'rows/b', '2099-01-01T00:00:00Z');
select results_eq(
  'select * from deprecated_answer',
  $$select model_id, status, sunset_at, replacement_model_id, access_managed_by, updated_at
    from admin_columns where model_id = 'rows/a'$$,
  'deprecate_models answers with the deprecated model as written'
);
select is(
  (select status::text || ' ' || replacement_model_id
   from public.deprecate_models(array['rows/a'], 'rows/b', '2099-01-01T00:00:00Z')),
  'deprecated rows/b',
  'with its status and replacement'
);
select is(
  tests.refusal($$select public.deprecate_models(array['rows/new', 'rows/a'])$$) - 'message',
  '{"sqlstate": "55000", "detail": "[\"rows/new\"]", "column": null}'::jsonb,
  'a model neither active nor deprecated: 55000, the ids in the detail'
);
select is(
  tests.refusal($$select public.deprecate_models(array['rows/z'])$$) - 'message',
  '{"sqlstate": "P0002", "detail": "[\"rows/z\"]", "column": null}'::jsonb,
  'an unknown model: P0002, the ids in the detail'
);
select is(
  tests.refusal($$select public.deprecate_models(array['rows/b'], 'rows/b')$$) - 'message',
  '{"sqlstate": "22023", "detail": null, "column": "replacement_model_id"}'::jsonb,
  'an invalid replacement: 22023, naming the replacement'
);

select tests.act_as_service_role();
select results_eq(
  $$select changed, model_id, daily_limit
    from public.update_models_access(array['rows/b'], '{"daily_limit": 7}')$$,
  $$values (true, 'rows/b', 7)$$,
  'the service role gets the changed rows too'
);
select is(
  (select replacement_model_id from public.deprecate_models(array['rows/b'])),
  null,
  'and deprecates with them'
);

select tests.act_as(:'user_id');
select throws_ok(
  $$select public.deprecate_models(array['rows/b'])$$,
  '42501', 'permission denied: only admins and the service role can deprecate models',
  'a user who is not an admin gets no rows but a refusal'
);

select tests.act_as_anon();
select throws_ok(
  $$select public.update_models_access(array['rows/b'], '{"is_free": true}')$$,
  '42501', 'permission denied for function update_models_access',
  'anon cannot call them'
);

select * from finish();
rollback;
