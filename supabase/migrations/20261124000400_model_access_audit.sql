-- public.model_access_audit: every write to the catalog (public.model_access), with who made it,
-- when, and the row before and after; filled by triggers on the table (statement-level, but for
-- inserts: see below).
--
-- Why: the catalog decides what paying users get, so every write is recorded, whoever makes it:
-- an admin through the admin function or the Data API, the service role, a sync, or an operator
-- editing rows in Studio (no JWT: the database role is recorded). An insert records the new row,
-- a delete or truncate the old one, an update the columns it changed, old and new. The sync's
-- writes carry its run (sync_log_id), and only its changes of status, tier flags and limits are
-- recorded: the sync log, the price history and the change feed already account for its upstream
-- data, and a run that adds or rewrites 10k models must not add 10k audit rows. Only admins and
-- the service role can read the trail; nobody can write it except the triggers.

create table public.model_access_audit (
  id bigint generated always as identity primary key,
  model_access_id bigint not null,
  model_id text not null,
  operation text not null,
  actor_user_id uuid,
  actor_role text not null,
  sync_log_id bigint,
  changed_at timestamptz not null default clock_timestamp(),
  old_values jsonb,
  new_values jsonb,
  constraint model_access_audit_operation_check
    check (operation in ('insert', 'update', 'delete', 'truncate')),
  constraint model_access_audit_values_match_operation check (
    case operation
      when 'insert' then old_values is null and new_values is not null
      when 'update' then old_values is not null and new_values is not null
      else old_values is not null and new_values is null
    end
  )
);

comment on table public.model_access_audit is
  'Audit trail of every write to model_access (the sync''s: changes of status, tier flags and '
  'limits only). Written only by trigger; readable by admins and the service role.';
comment on column public.model_access_audit.model_access_id is
  'model_access.id of the changed row (no foreign key: the trail outlives deleted models).';
comment on column public.model_access_audit.operation is
  'insert | update | delete | truncate (one row per model the truncate removed).';
comment on column public.model_access_audit.actor_user_id is
  'auth.uid() of the request (JWT sub) when there is one; null for the service role and for '
  'operators connected directly.';
comment on column public.model_access_audit.actor_role is
  'Database role of the request (authenticated, service_role, postgres, supabase_admin, ...).';
comment on column public.model_access_audit.sync_log_id is
  'model_sync_log.id of the sync run that made the change; null for any other writer (no foreign '
  'key, like model_access_id).';
comment on column public.model_access_audit.old_values is
  'Before: the whole row for a delete or truncate, the changed columns for an update; null for an '
  'insert.';
comment on column public.model_access_audit.new_values is
  'After: the whole row for an insert, the changed columns for an update; null for a delete or '
  'truncate.';

create index model_access_audit_model_id_changed_at_idx
  on public.model_access_audit (model_id, changed_at desc);

alter table public.model_access_audit enable row level security;

revoke all on table public.model_access_audit from anon, authenticated, service_role;
grant select on table public.model_access_audit to authenticated, service_role;

create policy "Admins can read the model access audit"
  on public.model_access_audit
  for select
  to authenticated
  using ((select private.is_admin()));

-- The one definition of what an audited update changed, shared by the audit triggers of the
-- catalog and of its rules (model_access_rules).
create function private.audit_changed_values(old_row jsonb, new_row jsonb)
returns table (old_values jsonb, new_values jsonb)
language sql
immutable
security invoker
set search_path = ''
as $$
  select
    jsonb_object_agg(old_col.key, old_col.value),
    jsonb_object_agg(old_col.key, new_col.value)
  from jsonb_each(audit_changed_values.old_row) as old_col
  join jsonb_each(audit_changed_values.new_row) as new_col on new_col.key = old_col.key
  where old_col.value is distinct from new_col.value;
$$;

comment on function private.audit_changed_values(jsonb, jsonb) is
  'The keys whose values differ between two rows as JSON: their old values and their new ones; '
  'both null when nothing differs. Used by the audit triggers for updates.';

revoke execute on function private.audit_changed_values(jsonb, jsonb)
  from public, anon, authenticated, service_role;

-- Security definer: the audit table is not writable by any API role, so that nobody can forge or
-- erase entries; the trigger writes as the owner. The actor is the request's JWT (auth.uid()) and
-- role (private.request_role), not current_user, which is the owner inside this function. The
-- sync names its run in the transaction-local setting model_access.sync_log_id.
create function private.record_model_access_audit()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_actor_role text := private.request_role();
  v_actor_user_id uuid := auth.uid();
  v_sync_log_id bigint :=
    nullif(pg_catalog.current_setting('model_access.sync_log_id', true), '')::bigint;
  -- Kept by triggers and the generated column: they change with the row, not on their own.
  v_derived_columns constant text[] := array['updated_at', 'openrouter_data_hash'];
begin
  if tg_op = 'INSERT' then
    -- Row-level, and not for the sync's inserts (the trigger's WHEN: a run, or a dry run, names
    -- itself in model_access.sync_log_id): a statement-level trigger would have Postgres keep a
    -- copy of every inserted row for it, 10k to 100k in a cold sync.
    insert into public.model_access_audit (
      model_access_id, model_id, operation, actor_user_id, actor_role, new_values
    )
    values (new.id, new.model_id, 'insert', v_actor_user_id, v_actor_role, to_jsonb(new));
  elsif tg_op = 'UPDATE' then
    -- Dynamic, so that it is planned for the rows at hand: a cached plan made when the trigger
    -- first saw one row pairs old and new rows by a nested loop, quadratic in a sync's thousands.
    execute $sql$
    -- $1 actor user id, $2 actor role, $3 sync run, $4 derived columns.
    insert into public.model_access_audit (
      model_access_id, model_id, operation, actor_user_id, actor_role, sync_log_id, old_values,
      new_values
    )
    select
      r.id, r.model_id, 'update', $1, $2, $3, d.old_values, d.new_values
    from (
      -- The sync's rows are filtered on the six access columns first, so that a run rewriting
      -- upstream data of thousands of models builds no JSON for them.
      select
        n.id,
        n.model_id,
        case when $3 is null then to_jsonb(o) - $4
          else jsonb_build_object(
            'status', o.status, 'is_free', o.is_free, 'is_pro', o.is_pro,
            'is_enterprise', o.is_enterprise, 'daily_limit', o.daily_limit,
            'monthly_limit', o.monthly_limit
          )
        end as old_row,
        case when $3 is null then to_jsonb(n) - $4
          else jsonb_build_object(
            'status', n.status, 'is_free', n.is_free, 'is_pro', n.is_pro,
            'is_enterprise', n.is_enterprise, 'daily_limit', n.daily_limit,
            'monthly_limit', n.monthly_limit
          )
        end as new_row
      from old_rows as o
      join new_rows as n on n.id = o.id
      where $3 is null
        or (o.status, o.is_free, o.is_pro, o.is_enterprise, o.daily_limit, o.monthly_limit)
          is distinct from
          (n.status, n.is_free, n.is_pro, n.is_enterprise, n.daily_limit, n.monthly_limit)
    ) as r
    cross join lateral private.audit_changed_values(r.old_row, r.new_row) as d
    -- An update that changes nothing (but derived columns) is no change.
    where d.old_values is not null
    $sql$
    using v_actor_user_id, v_actor_role, v_sync_log_id, v_derived_columns;
  elsif tg_op = 'DELETE' then
    insert into public.model_access_audit (
      model_access_id, model_id, operation, actor_user_id, actor_role, sync_log_id, old_values
    )
    select o.id, o.model_id, 'delete', v_actor_user_id, v_actor_role, v_sync_log_id, to_jsonb(o)
    from old_rows as o;
  else
    -- Before the truncate, while the rows are still there to record.
    insert into public.model_access_audit (
      model_access_id, model_id, operation, actor_user_id, actor_role, sync_log_id, old_values
    )
    select m.id, m.model_id, 'truncate', v_actor_user_id, v_actor_role, v_sync_log_id, to_jsonb(m)
    from public.model_access as m;
  end if;
  return null;
end;
$$;

comment on function private.record_model_access_audit() is
  'Trigger on model_access (after insert, per row; after update and delete, per statement, one '
  'set-based insert each; before truncate): records each written row in model_access_audit with '
  'the actor. The sync''s inserts and upstream-only updates are not recorded.';

revoke execute on function private.record_model_access_audit()
  from public, anon, authenticated, service_role;

-- Which transactions are applying a sync run. The sync names its run in the setting
-- model_access.sync_log_id, and its writes are audited in short (access changes only; its inserts
-- not at all) and skipped by the per-row catalog version trigger; but any session can set a
-- setting. Only the sync's definer code writes this table, and a write to the catalog that names a
-- run while its transaction is not in it is refused.
create table private.sync_applying (
  transaction_id xid8 primary key default pg_catalog.pg_current_xact_id()
);

comment on table private.sync_applying is
  'The transactions applying a sync run right now (written by sync_openrouter_models around its '
  'writes). model_access.sync_log_id is honoured only in these; a catalog write elsewhere that '
  'sets it is refused (private.refuse_foreign_sync_marks).';

alter table private.sync_applying enable row level security;

revoke all on table private.sync_applying from public, anon, authenticated, service_role;

-- Definer: the marker table is not readable by any API role. Returns null: an after trigger.
create function private.refuse_foreign_sync_marks()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not exists (
    select 1
    from private.sync_applying as a
    where a.transaction_id = pg_catalog.pg_current_xact_id()
  ) then
    raise exception using
      errcode = '42501',
      message = 'model_access.sync_log_id is reserved for the catalog sync',
      hint = 'Clear it (set_config(''model_access.sync_log_id'', '''', true)): the write is then '
        || 'audited as yours.';
  end if;
  return null;
end;
$$;

comment on function private.refuse_foreign_sync_marks() is
  'Statement-level trigger on model_access (after insert, update and delete, when '
  'model_access.sync_log_id is set): refuses the statement unless its transaction is applying a '
  'sync run (private.sync_applying), so that no other writer can pass a write off as the sync''s.';

revoke execute on function private.refuse_foreign_sync_marks()
  from public, anon, authenticated, service_role;

create trigger refuse_foreign_sync_marks
  after insert or update or delete on public.model_access
  for each statement
  when (coalesce(current_setting('model_access.sync_log_id', true), '') <> '')
  execute function private.refuse_foreign_sync_marks();

create trigger record_model_access_audit_on_insert
  after insert on public.model_access
  for each row
  when (coalesce(current_setting('model_access.sync_log_id', true), '') = '')
  execute function private.record_model_access_audit();

create trigger record_model_access_audit_on_update
  after update on public.model_access
  referencing old table as old_rows new table as new_rows
  for each statement
  execute function private.record_model_access_audit();

create trigger record_model_access_audit_on_delete
  after delete on public.model_access
  referencing old table as old_rows
  for each statement
  execute function private.record_model_access_audit();

create trigger record_model_access_audit_on_truncate
  before truncate on public.model_access
  for each statement
  execute function private.record_model_access_audit();
