-- Schema shape, privileges and policies: what every role may reach, and the structural guards
-- against the original design's defects (definer functions open to all, fixed-width columns,
-- tier-based admin checks, allowed_models).
begin;
\ir _helpers.psql
select plan(98);

-- Tables ------------------------------------------------------------------------------------------
select has_table('public', 'profiles', 'profiles exists');
select has_table('public', 'model_access', 'model_access exists');
select has_table('public', 'model_sync_log', 'model_sync_log exists');
select has_table('public', 'model_access_audit', 'model_access_audit exists');
select has_table('public', 'user_activity', 'user_activity exists');
select hasnt_column('public', 'profiles', 'allowed_models', 'profiles.allowed_models is gone');
select has_column('public', 'profiles', 'is_admin', 'profiles has is_admin');
select col_not_null('public', 'profiles', 'is_admin', 'profiles.is_admin is not null');
select col_default_is('public', 'profiles', 'is_admin', 'false', 'profiles.is_admin defaults to false');
select col_default_is('public', 'profiles', 'subscription_tier', 'free', 'tier defaults to free');
select col_default_is(
  'public', 'profiles', 'default_model', 'deepseek/deepseek-r1-0528:free',
  'default_model defaults to the free DeepSeek model'
);
select fk_ok('public', 'profiles', 'id', 'auth', 'users', 'id', 'profiles.id references auth.users');
select col_is_unique('public', 'model_access', 'model_id', 'model_access.model_id is unique');
select col_type_is('public', 'model_access', 'prompt_price', 'numeric', 'prices are numeric');
select col_type_is('public', 'model_access', 'openrouter_data', 'jsonb', 'full upstream record kept');
select col_type_is('public', 'model_access', 'input_modalities', 'text[]', 'modalities are text[]');
select col_default_is('public', 'model_access', 'status', 'new', 'status defaults to new');
select has_column('public', 'model_sync_log', 'triggered_by', 'sync log records who triggered');
select has_column('public', 'model_sync_log', 'models_unchanged', 'sync log counts unchanged');
select has_column('public', 'model_sync_log', 'models_reactivated', 'sync log counts reactivated');
select has_column('public', 'model_sync_log', 'skipped_invalid', 'sync log counts skipped');

-- No fixed-width text anywhere in our tables.
select is(
  (
    select count(*)
    from information_schema.columns as c
    where c.table_schema = 'public' and c.character_maximum_length is not null
  ),
  0::bigint,
  'no varchar(n)/char(n) column in public'
);

-- Indexes for the status and tier lookups, and on every foreign key.
select has_index('public', 'model_access', 'model_access_status_idx', 'status index');
select has_index('public', 'model_access', 'model_access_active_tiers_idx', 'tier index');
select has_index(
  'public', 'model_sync_log', 'model_sync_log_triggered_by_user_id_idx', 'sync log fk index'
);
select has_index('public', 'user_activity', 'user_activity_user_id_created_at_idx', 'activity fk index');

-- RLS everywhere in public.
select is(
  (
    select count(*)
    from pg_class as c
    join pg_namespace as n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity
  ),
  0::bigint,
  'row level security is enabled on every public table'
);

-- Triggers.
select has_trigger('auth', 'users', 'on_auth_user_saved', 'profiles are created by trigger');
select has_trigger('public', 'model_access', 'set_updated_at', 'model_access.updated_at by trigger');
select has_trigger('public', 'profiles', 'set_updated_at', 'profiles.updated_at by trigger');
select has_trigger(
  'public', 'model_access', 'record_model_access_audit_on_insert', 'inserts are audited'
);
select has_trigger(
  'public', 'model_access', 'record_model_access_audit_on_update', 'updates are audited'
);
select has_trigger(
  'public', 'model_access', 'record_model_access_audit_on_delete', 'deletes are audited'
);
select has_trigger(
  'public', 'model_access', 'record_model_access_audit_on_truncate', 'truncates are audited'
);
select has_trigger('public', 'profiles', 'check_default_model', 'default_model is checked');

-- Functions: no definer in public (defect 7), search_path = '' everywhere ------------------------
select is(
  (
    select count(*)
    from pg_proc as p
    join pg_namespace as n on n.oid = p.pronamespace
    where n.nspname = 'public'
      and p.proname = any (array[
        'get_my_tier', 'get_user_allowed_models_v2', 'log_sync_failure', 'sync_openrouter_models',
        'update_model_tier_access', 'update_models_access', 'update_user_preferences'
      ])
  ),
  7::bigint,
  'the catalog API functions exist in public (one signature each)'
);
select is(
  (
    select count(*)
    from pg_proc as p
    join pg_namespace as n on n.oid = p.pronamespace
    where n.nspname = 'public' and p.prosecdef
  ),
  0::bigint,
  'no security definer function in public'
);
select is_definer('private', 'is_admin', array[]::text[], 'private.is_admin is security definer');
select is_definer(
  'private', 'handle_auth_user_saved', array[]::text[], 'profile trigger is security definer'
);
select is_definer(
  'private', 'record_model_access_audit', array[]::text[], 'audit trigger is security definer'
);
select is_definer(
  'private', 'log_user_activity', array['uuid', 'text', 'jsonb'],
  'log_user_activity is security definer'
);
select isnt_definer(
  'private', 'can_manage_catalog', array[]::text[], 'can_manage_catalog is security invoker'
);
select isnt_definer(
  'private', 'check_profile_default_model', array[]::text[],
  'default-model check is security invoker'
);
select is(
  (
    select count(*)
    from pg_proc as p
    join pg_namespace as n on n.oid = p.pronamespace
    where n.nspname in ('public', 'private')
      and not coalesce('search_path=""' = any (p.proconfig), false)
  ),
  0::bigint,
  'every function sets search_path = ''''');

-- Function privileges: anon none; authenticated and service_role what they need ----------------
select function_privs_are(
  'public', 'sync_openrouter_models', array['jsonb', 'text', 'boolean', 'boolean', 'numeric', 'bigint', 'numeric'],
  'anon', array[]::text[], 'anon cannot execute sync_openrouter_models'
);
select function_privs_are(
  'public', 'sync_openrouter_models', array['jsonb', 'text', 'boolean', 'boolean', 'numeric', 'bigint', 'numeric'],
  'authenticated', array['EXECUTE'], 'authenticated can execute sync (admins only, checked inside)'
);
select function_privs_are(
  'public', 'sync_openrouter_models', array['jsonb', 'text', 'boolean', 'boolean', 'numeric', 'bigint', 'numeric'],
  'service_role', array['EXECUTE'], 'service_role can execute sync'
);
select function_privs_are(
  'public', 'log_sync_failure', array['text', 'text', 'jsonb', 'bigint'],
  'anon', array[]::text[], 'anon cannot execute log_sync_failure'
);
select function_privs_are(
  'public', 'log_sync_failure', array['text', 'text', 'jsonb', 'bigint'],
  'service_role', array['EXECUTE'], 'service_role can execute log_sync_failure'
);
select function_privs_are(
  'public', 'update_models_access', array['text[]', 'jsonb'],
  'anon', array[]::text[], 'anon cannot execute update_models_access'
);
select function_privs_are(
  'public', 'update_models_access', array['text[]', 'jsonb'],
  'authenticated', array['EXECUTE'], 'authenticated can execute update_models_access'
);
select function_privs_are(
  'public', 'update_model_tier_access',
  array['text', 'boolean', 'boolean', 'boolean', 'text', 'integer', 'integer'],
  'anon', array[]::text[], 'anon cannot execute update_model_tier_access'
);
select function_privs_are(
  'public', 'get_user_allowed_models_v2', array['uuid'],
  'anon', array[]::text[], 'anon cannot execute get_user_allowed_models_v2'
);
select function_privs_are(
  'public', 'get_user_allowed_models_v2', array['uuid'],
  'authenticated', array['EXECUTE'], 'authenticated can execute get_user_allowed_models_v2'
);
select function_privs_are(
  'public', 'get_my_tier', array[]::text[],
  'anon', array[]::text[], 'anon cannot execute get_my_tier'
);
select function_privs_are(
  'public', 'update_user_preferences', array['uuid', 'text', 'jsonb'],
  'anon', array[]::text[], 'anon cannot execute update_user_preferences'
);
select function_privs_are(
  'public', 'update_user_preferences', array['uuid', 'text', 'jsonb'],
  'authenticated', array['EXECUTE'], 'authenticated can execute update_user_preferences'
);
select is(
  (
    select count(*)
    from pg_proc as p
    join pg_namespace as n on n.oid = p.pronamespace
    where n.nspname in ('public', 'private')
      and (
        has_function_privilege('anon', p.oid, 'execute')
        or has_function_privilege('public', p.oid, 'execute')
      )
  ),
  0::bigint,
  'neither anon nor PUBLIC can execute any of our functions'
);
select is(
  (
    select array_agg(p.proname::text order by p.proname)
    from pg_proc as p
    join pg_namespace as n on n.oid = p.pronamespace
    where n.nspname = 'private'
      and p.prorettype = 'trigger'::regtype
      and (
        has_function_privilege('authenticated', p.oid, 'execute')
        or has_function_privilege('service_role', p.oid, 'execute')
      )
  ),
  null::text[],
  'no API role can call a trigger function directly'
);
select schema_privs_are('private', 'anon', array[]::text[], 'anon cannot use schema private');
select schema_privs_are(
  'private', 'authenticated', array['USAGE'], 'authenticated can use schema private'
);

-- Table privileges -------------------------------------------------------------------------------
select table_privs_are('public', 'profiles', 'anon', array[]::text[], 'anon: nothing on profiles');
select table_privs_are(
  'public', 'profiles', 'authenticated', array['SELECT'], 'authenticated: select on profiles'
);
select column_privs_are(
  'public', 'profiles', 'subscription_tier', 'authenticated', array['SELECT'],
  'authenticated cannot update subscription_tier'
);
select column_privs_are(
  'public', 'profiles', 'is_admin', 'authenticated', array['SELECT'],
  'authenticated cannot update is_admin'
);
select column_privs_are(
  'public', 'profiles', 'default_model', 'authenticated', array['SELECT', 'UPDATE'],
  'authenticated can update default_model'
);
select column_privs_are(
  'public', 'profiles', 'ui_preferences', 'authenticated', array['SELECT', 'UPDATE'],
  'authenticated can update ui_preferences'
);
select table_privs_are(
  'public', 'profiles', 'service_role', array['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  'service_role: full rows on profiles'
);
select table_privs_are(
  'public', 'model_access', 'anon', array[]::text[], 'anon: nothing on model_access'
);
select table_privs_are(
  'public', 'model_access', 'authenticated', array['SELECT', 'INSERT', 'UPDATE'],
  'authenticated: select, insert, update on model_access (writes for admins by RLS)'
);
select table_privs_are(
  'public', 'model_access', 'service_role', array['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  'service_role: full rows on model_access'
);
select table_privs_are(
  'public', 'model_sync_log', 'anon', array[]::text[], 'anon: nothing on model_sync_log'
);
select table_privs_are(
  'public', 'model_sync_log', 'authenticated', array['SELECT'],
  'authenticated: select only on model_sync_log (admins only by RLS; the sync writes it)'
);
select table_privs_are(
  'public', 'model_sync_log', 'service_role', array['SELECT'],
  'service_role: select only on model_sync_log'
);
select table_privs_are(
  'public', 'model_access_audit', 'anon', array[]::text[], 'anon: nothing on the audit'
);
select table_privs_are(
  'public', 'model_access_audit', 'authenticated', array['SELECT'],
  'authenticated: select only on the audit (admins only by RLS)'
);
select table_privs_are(
  'public', 'model_access_audit', 'service_role', array['SELECT'],
  'service_role: select only on the audit'
);
select table_privs_are(
  'public', 'user_activity', 'anon', array[]::text[], 'anon: nothing on user_activity'
);
select table_privs_are(
  'public', 'user_activity', 'authenticated', array['SELECT'],
  'authenticated: select only on user_activity'
);

-- Policies: one per table, operation and role; never FOR ALL; never for PUBLIC -------------------
select policies_are(
  'public', 'profiles',
  array['Users can read their own profile', 'Users can update their own profile'],
  'profiles policies'
);
select policies_are(
  'public', 'model_access',
  array[
    'Users can read active models; admins can read all', 'Admins can add models',
    'Admins can update models'
  ],
  'model_access policies'
);
select policies_are(
  'public', 'model_sync_log',
  array['Admins can read the sync log'],
  'model_sync_log policies'
);
select policies_are(
  'public', 'model_access_audit', array['Admins can read the model access audit'], 'audit policies'
);
select policies_are(
  'public', 'user_activity', array['Users can read their own activity'], 'user_activity policies'
);
select policy_cmd_is(
  'public', 'model_access', 'Users can read active models; admins can read all', 'select',
  'catalog read policy is for select'
);
select policy_roles_are(
  'public', 'model_access', 'Users can read active models; admins can read all',
  array['authenticated'], 'catalog read policy is for authenticated only'
);
select policy_cmd_is(
  'public', 'model_access', 'Admins can update models', 'update', 'catalog update policy'
);
select policy_roles_are(
  'public', 'model_sync_log', 'Admins can read the sync log', array['authenticated'],
  'sync log read policy is for authenticated only'
);
select is(
  (select count(*) from pg_policies where schemaname = 'public' and cmd = 'ALL'),
  0::bigint,
  'no FOR ALL policy'
);
select is(
  (
    select count(*)
    from pg_policies
    where schemaname = 'public' and roles <> array['authenticated']::name[]
  ),
  0::bigint,
  'every policy targets authenticated only (anon has no grants; service_role bypasses RLS)'
);
select is(
  (
    select count(*)
    from (
      select tablename, cmd, r
      from pg_policies, unnest(roles) as r
      where schemaname = 'public' and permissive = 'PERMISSIVE'
      group by tablename, cmd, r
      having count(*) > 1
    ) as dup
  ),
  0::bigint,
  'at most one permissive policy per table, operation and role'
);
-- Admin rights come from is_admin, never from the tier (or user_metadata).
select is(
  (
    select count(*)
    from pg_policies
    where schemaname = 'public'
      and (
        coalesce(qual, '') ~ 'subscription_tier|user_metadata'
        or coalesce(with_check, '') ~ 'subscription_tier|user_metadata'
      )
  ),
  0::bigint,
  'no policy decides rights from subscription_tier or user_metadata'
);
select ok(
  pg_get_functiondef('private.is_admin()'::regprocedure) ~ 'is_admin'
    and pg_get_functiondef('private.is_admin()'::regprocedure) !~ 'subscription_tier',
  'private.is_admin() reads profiles.is_admin, not the tier'
);

-- Comments on every table and function (Studio shows them) -------------------------------------
select is(
  (
    select count(*)
    from pg_class as c
    join pg_namespace as n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r' and obj_description(c.oid, 'pg_class') is null
  ),
  0::bigint,
  'every public table has a comment'
);
select is(
  (
    select count(*)
    from pg_proc as p
    join pg_namespace as n on n.oid = p.pronamespace
    where n.nspname in ('public', 'private') and obj_description(p.oid, 'pg_proc') is null
  ),
  0::bigint,
  'every function has a comment'
);

-- The helpers switch roles as the tests expect -------------------------------------------------
select tests.act_as_anon();
select is(current_user::text, 'anon', 'tests.act_as_anon switches to anon');
select tests.act_as_service_role();
select is(current_user::text, 'service_role', 'tests.act_as_service_role switches to service_role');
select tests.act_as_operator();
select is(current_user::text, 'postgres', 'tests.act_as_operator switches back to postgres');

select * from finish();
rollback;
