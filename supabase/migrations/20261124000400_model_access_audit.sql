-- public.model_access_audit: who changed a model's status, tier flags or limits, when, and from
-- what to what; filled by statement-level triggers on public.model_access.
--
-- Why: access settings decide what paying users get, so every change is recorded, whether it comes
-- from the admin function, an admin-triggered or cron sync (inactive and back), the Data API, or
-- an operator editing the row in Studio (no JWT: the database role is recorded). Only admins and
-- the service role can read it; nobody can write it except the trigger.

create table public.model_access_audit (
  id bigint generated always as identity primary key,
  model_access_id bigint not null,
  model_id text not null,
  operation text not null,
  actor_user_id uuid,
  actor_role text not null,
  changed_at timestamptz not null default clock_timestamp(),
  old_values jsonb,
  new_values jsonb,
  constraint model_access_audit_operation_check check (operation in ('update', 'delete'))
);

comment on table public.model_access_audit is
  'Audit trail of changes to model_access.status, is_free, is_pro, is_enterprise, daily_limit and '
  'monthly_limit (and of deleted models). Written only by trigger; readable by admins.';
comment on column public.model_access_audit.model_access_id is
  'model_access.id of the changed row (no foreign key: the trail outlives deleted models).';
comment on column public.model_access_audit.actor_user_id is
  'auth.uid() of the request (JWT sub) when there is one; null for the service role and for '
  'operators connected directly.';
comment on column public.model_access_audit.actor_role is
  'Database role that made the change (authenticated, service_role, postgres, ...).';
comment on column public.model_access_audit.old_values is
  'Audited columns before the change.';
comment on column public.model_access_audit.new_values is
  'Audited columns after the change; null for a delete.';

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

-- Security definer: the audit table is not writable by any API role, so that nobody can forge or
-- erase entries; the trigger writes as the owner. The actor is taken from the request JWT
-- (auth.uid()) and from the role the session switched to (`role` setting), not from current_user,
-- which is the owner inside this function.
create function private.record_model_access_audit()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  request_role text := coalesce(nullif(current_setting('role', true), 'none'), session_user::text);
  request_user_id uuid := auth.uid();
begin
  if tg_op = 'UPDATE' then
    insert into public.model_access_audit (
      model_access_id, model_id, operation, actor_user_id, actor_role, old_values, new_values
    )
    select
      n.id,
      n.model_id,
      'update',
      request_user_id,
      request_role,
      jsonb_build_object(
        'status', o.status,
        'is_free', o.is_free,
        'is_pro', o.is_pro,
        'is_enterprise', o.is_enterprise,
        'daily_limit', o.daily_limit,
        'monthly_limit', o.monthly_limit
      ),
      jsonb_build_object(
        'status', n.status,
        'is_free', n.is_free,
        'is_pro', n.is_pro,
        'is_enterprise', n.is_enterprise,
        'daily_limit', n.daily_limit,
        'monthly_limit', n.monthly_limit
      )
    from old_rows as o
    join new_rows as n on n.id = o.id
    where (o.status, o.is_free, o.is_pro, o.is_enterprise, o.daily_limit, o.monthly_limit)
      is distinct from
      (n.status, n.is_free, n.is_pro, n.is_enterprise, n.daily_limit, n.monthly_limit);
  else
    insert into public.model_access_audit (
      model_access_id, model_id, operation, actor_user_id, actor_role, old_values, new_values
    )
    select
      o.id,
      o.model_id,
      'delete',
      request_user_id,
      request_role,
      jsonb_build_object(
        'status', o.status,
        'is_free', o.is_free,
        'is_pro', o.is_pro,
        'is_enterprise', o.is_enterprise,
        'daily_limit', o.daily_limit,
        'monthly_limit', o.monthly_limit
      ),
      null
    from old_rows as o;
  end if;
  return null;
end;
$$;

comment on function private.record_model_access_audit() is
  'Statement-level AFTER UPDATE / AFTER DELETE trigger on model_access: records changes of status, '
  'tier flags and limits (one set-based insert per statement) in model_access_audit.';

revoke execute on function private.record_model_access_audit()
  from public, anon, authenticated, service_role;

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
