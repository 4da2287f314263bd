-- Rolls back the model catalog to the hard-coded-list design: restores
-- public.profiles.allowed_models and removes every object the catalog migrations
-- (20261124000300 to 20261124001500) created. Keeps auth.users, public.profiles (all its rows and
-- columns) and public.subscription_tiers (the tiers profiles name), the private schema,
-- private.is_admin(), private.set_updated_at() and the trigger that creates profiles, i.e. what
-- 20261124000100 and 20261124000200 created.
--
-- Run it in ONE transaction (see supabase/rollback/README.md):
--   psql "$DB_URL" --single-transaction -v ON_ERROR_STOP=1 -f supabase/rollback/rollback_model_catalog.sql
-- It has no begin/commit of its own so that it can run inside a caller's transaction (its test does,
-- and rolls back). It is idempotent: running it again changes nothing.
--
-- allowed_models, decided:
-- * each existing profile gets the models its tier may use at the moment of the rollback (the same
--   rule and order as get_user_allowed_models_v2: free models first, then pro, then enterprise, by
--   name), so nobody gains or loses a model they could use;
-- * a profile whose tier has no usable model, and every profile created afterwards, gets the three
--   default free models (the column default), as in the old design.
-- allowed_models, like the tier, is not writable by users (no column grant).
--
-- Removed, with their data: model_access (the catalog), model_sync_log, model_access_audit,
-- model_usage (quota counters), user_activity (preference change log), model_access_rules (tiering
-- rules) and its audit model_access_rules_audit, model_price_history, model_change_digests, every
-- catalog, sync, admin, rule, user-model, preference and quota function, the private helpers only
-- they use (can_manage_catalog, record_model_access_audit, record_model_access_rules_audit,
-- audit_changed_values, set_model_access_updated_at, first_matching_rules and its type
-- rule_subject, tier_models, tier_offered_models, the domain model_status, models_access_state,
-- user_tier, acting_user, quota_periods, consume_model_quota, log_user_activity,
-- prune_user_activity, jsonb_deep_merge, preferences_size_limit with the profiles constraints
-- that call it, check_profile_default_model with its trigger and check_default_model_allowed,
-- model_access_rule_problem, check_model_access_rule, invoke_sync_models, sync_job_status,
-- mark_access_admin_managed, clear_model_deprecation, resolve_default_model, record_change_digest,
-- catalog_version and bump_catalog_version) and the pg_cron jobs sync-openrouter-models and
-- prune-user-activity. Export those tables first if you need them. The pg_cron and pg_net
-- extensions and the Vault secrets
-- project_url and sync_models_secret are left in place (other jobs may use them).
--
-- The migration history rows of 20261124000300 to 20261124001500 are deleted, so that a later
-- `supabase db push` applies the catalog again.

-- 1. profiles.allowed_models, filled while the catalog still exists.
alter table public.profiles
  add column if not exists allowed_models text[] not null default array[
    'deepseek/deepseek-r1-0528:free', 'google/gemini-2.0-flash-exp:free', 'qwen/qwen3-coder:free'
  ]::text[];

comment on column public.profiles.allowed_models is
  'OpenRouter model ids the user may use (the hard-coded-list design restored by '
  'supabase/rollback/rollback_model_catalog.sql). Not writable by the user.';

do $$
begin
  if to_regclass('private.tier_models') is not null then
    update public.profiles as p
    set allowed_models = l.models
    from (
      select
        t.tier,
        array_agg(
          m.model_id
          order by case when m.is_free then 0 when m.is_pro then 1 else 2 end, m.model_name, m.model_id
        ) as models
      from private.tier_models as t
      join public.model_access as m on m.model_id = t.model_id
      group by t.tier
    ) as l
    where l.tier = p.subscription_tier
      and p.allowed_models is distinct from l.models;
  end if;
end;
$$;

-- 2. The daily jobs.
select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname in ('sync-openrouter-models', 'prune-user-activity');

-- 3. Functions (before the tables and the view their signatures or bodies name).
drop trigger if exists check_default_model on public.profiles;
drop function if exists private.check_profile_default_model();
drop function if exists private.check_default_model_allowed(text, text);
alter table public.profiles
  drop constraint if exists profiles_ui_preferences_within_size_limit,
  drop constraint if exists profiles_session_preferences_within_size_limit;
drop function if exists private.preferences_size_limit();

drop function if exists public.consume_model_quota(text, uuid);
drop function if exists private.consume_model_quota(uuid, text);
drop function if exists public.can_use_model(text, uuid);
drop function if exists public.get_user_allowed_models_v2(uuid);
drop function if exists public.get_my_tier();
drop function if exists public.get_my_default_model();
drop function if exists private.resolve_default_model(text, text);
drop function if exists private.user_tier(uuid);
drop function if exists private.acting_user(uuid, text);
drop function if exists private.quota_periods();

drop function if exists public.get_sync_health(interval);
drop function if exists private.sync_job_status();
drop function if exists private.invoke_sync_models();

drop function if exists public.hand_models_to_rules(text[]);
drop function if exists public.deprecate_models(text[], text, timestamptz);
drop function if exists public.get_model_price_history(text);
drop function if exists public.apply_model_access_rules(text[]);
drop function if exists private.first_matching_rules(private.rule_subject[]);
drop function if exists private.model_access_rule_problem(public.model_access_rules);
drop type if exists private.rule_subject;

drop function if exists public.update_model_tier_access(
  text, boolean, boolean, boolean, text, integer, integer
);
drop function if exists public.update_models_access(text[], jsonb);
drop function if exists private.models_access_state(text[]);
drop function if exists public.list_models_for_admin(
  public.model_status, text, text, text, text, integer, integer
);
drop function if exists public.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint, numeric);
drop function if exists public.log_sync_failure(text, text, jsonb, bigint);
drop function if exists public.begin_sync_run(text, interval, integer);
drop function if exists private.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint, numeric);
drop function if exists private.log_sync_failure(text, text, jsonb, bigint);
drop function if exists private.begin_sync_run(text, interval, integer);
drop function if exists private.check_sync_caller(text, text, text);
drop function if exists private.parse_catalog_records(jsonb, integer[]);
drop type if exists private.parsed_catalog_record;
drop function if exists private.same_upstream_record(jsonb, jsonb);
drop function if exists private.same_unordered(jsonb, jsonb);
drop function if exists private.sync_caller_name();
drop function if exists private.sync_duration_ms(timestamptz);

drop function if exists public.update_user_preferences(uuid, text, jsonb);
drop function if exists private.log_user_activity(uuid, text, jsonb);
drop function if exists private.prune_user_activity(uuid);
drop function if exists private.jsonb_deep_merge(jsonb, jsonb);

-- 4. The rule view and the tables (their triggers and policies go with them). Catalog changes
-- made earlier in the caller's transaction still have their catalog version bump pending (it is
-- deferred to commit), and a table with pending trigger events cannot be dropped: run it now.
set constraints all immediate;
drop view if exists private.tier_models;
drop view if exists private.tier_offered_models;
drop table if exists private.catalog_version;
drop table if exists private.sync_applying;
drop table if exists public.model_usage;
drop table if exists public.model_price_history;
drop table if exists public.model_change_digests;
drop table if exists public.model_access_rules_audit;
drop table if exists public.model_access_rules;
drop table if exists public.model_access_audit;
drop table if exists public.model_sync_log;
drop table if exists public.model_access;
drop domain if exists public.model_status;
drop table if exists public.user_activity;

-- 5. Helpers used only by the objects above.
drop function if exists private.record_model_access_audit();
drop function if exists private.refuse_foreign_sync_marks();
drop function if exists private.record_model_access_rules_audit();
drop function if exists private.audit_changed_values(jsonb, jsonb);
drop function if exists private.set_model_access_updated_at();
drop function if exists private.can_manage_catalog();
drop function if exists private.parse_price(text);
drop function if exists private.mark_access_admin_managed();
drop function if exists private.check_model_access_rule();
drop function if exists private.clear_model_deprecation();
drop function if exists private.record_change_digest(bigint, jsonb);
-- The tier table stays with profiles; the catalog version's triggers on it go with the version.
drop trigger if exists bump_catalog_version on public.subscription_tiers;
drop trigger if exists bump_catalog_version_after_truncate on public.subscription_tiers;
drop function if exists private.bump_catalog_version();

-- 6. Migration history.
do $$
begin
  if to_regclass('supabase_migrations.schema_migrations') is not null then
    delete from supabase_migrations.schema_migrations
    where version between '20261124000300' and '20261124001500';
  end if;
end;
$$;
