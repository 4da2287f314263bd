-- public.model_access_rules: admin-managed tiering rules; the trigger that makes a model
-- admin-managed (model_access.access_managed_by) when its access is changed by hand;
-- public.model_access_rules_audit, the trail of every write to the rules; and
-- public.apply_model_access_rules and public.hand_models_to_rules.
--
-- Why: hundreds of models appear upstream; admins should not have to click through each. A rule
-- matches on model attributes (id pattern, provider, `:free` variant, price thresholds, context
-- length, modality) and sets status and tier flags. public.sync_openrouter_models applies the
-- first matching rule (lowest priority, then lowest id) to every model it first sees, and again to
-- every rule-managed model whose upstream data changed, so a model that turns from free to paid
-- leaves the free tier by itself. A rule-managed model that no rule matches is `new` with no tier
-- flag (awaiting review). Any other change of a model's status or tier flags (update_models_access,
-- the Data API, an operator in Studio) makes the model admin-managed: rules no longer touch it
-- until an admin hands it back (public.hand_models_to_rules).

create table public.model_access_rules (
  id bigint generated always as identity primary key,
  priority integer not null,
  name text not null,
  enabled boolean not null default true,
  match_model_id_like text,
  match_model_id_regex text,
  match_provider text,
  match_is_free_variant boolean,
  match_min_prompt_price numeric,
  match_max_prompt_price numeric,
  match_min_completion_price numeric,
  match_max_completion_price numeric,
  match_min_context_length integer,
  match_input_modality text,
  match_output_modality text,
  status text not null,
  is_free boolean not null default false,
  is_pro boolean not null default false,
  is_enterprise boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint model_access_rules_name_not_blank check (btrim(name) <> ''),
  constraint model_access_rules_status_check check (status in ('new', 'active', 'disabled'))
);

comment on table public.model_access_rules is
  'Tiering rules: the first enabled rule (by priority, then id) whose every non-null match_* '
  'condition holds sets status and tier flags of a rule-managed model, when the sync first sees '
  'it and whenever its upstream data changes. No matching rule: new, no tier flag. Admins and the '
  'service role manage them.';
comment on column public.model_access_rules.priority is 'Lower runs first; ties by id.';
comment on column public.model_access_rules.name is 'What the rule is for (shown in dry runs).';
comment on column public.model_access_rules.enabled is 'Disabled rules are ignored.';
comment on column public.model_access_rules.match_model_id_like is
  'LIKE pattern on the model id (e.g. ''openai/%''), at most 500 characters; null = any.';
comment on column public.model_access_rules.match_model_id_regex is
  'POSIX regular expression on the model id (case sensitive), at most 500 characters, without '
  'back-references; null = any.';
comment on column public.model_access_rules.match_provider is
  'Provider: the id before the first `/` (e.g. ''anthropic''); null = any.';
comment on column public.model_access_rules.match_is_free_variant is
  'true: only ids ending in `:free`; false: only the others; null = any.';
comment on column public.model_access_rules.match_min_prompt_price is
  'prompt_price >= this (USD per token); a model without a parsable price does not match.';
comment on column public.model_access_rules.match_max_prompt_price is
  'prompt_price <= this. Routers price at -1: pair with a minimum of 0 to mean "free".';
comment on column public.model_access_rules.match_min_completion_price is
  'completion_price >= this.';
comment on column public.model_access_rules.match_max_completion_price is
  'completion_price <= this.';
comment on column public.model_access_rules.match_min_context_length is
  'context_length >= this.';
comment on column public.model_access_rules.match_input_modality is
  'One of the model''s input_modalities (e.g. ''image''), a lowercase name; null = any.';
comment on column public.model_access_rules.match_output_modality is
  'One of the model''s output_modalities (e.g. ''image'' for image generators), a lowercase name; '
  'null = any.';
comment on column public.model_access_rules.status is 'Status the rule sets: new | active | disabled.';
comment on column public.model_access_rules.is_free is 'is_free the rule sets.';
comment on column public.model_access_rules.is_pro is 'is_pro the rule sets.';
comment on column public.model_access_rules.is_enterprise is 'is_enterprise the rule sets.';

create index model_access_rules_priority_idx on public.model_access_rules (priority, id)
  where enabled;

alter table public.model_access_rules enable row level security;

revoke all on table public.model_access_rules from anon, authenticated, service_role;
grant select, insert, update, delete on table public.model_access_rules to authenticated;
grant select, insert, update, delete on table public.model_access_rules to service_role;

create policy "Admins can read the access rules"
  on public.model_access_rules
  for select
  to authenticated
  using ((select private.is_admin()));

create policy "Admins can add access rules"
  on public.model_access_rules
  for insert
  to authenticated
  with check ((select private.is_admin()));

create policy "Admins can update access rules"
  on public.model_access_rules
  for update
  to authenticated
  using ((select private.is_admin()))
  with check ((select private.is_admin()));

create policy "Admins can delete access rules"
  on public.model_access_rules
  for delete
  to authenticated
  using ((select private.is_admin()));

create trigger set_updated_at
  before update on public.model_access_rules
  for each row
  execute function private.set_updated_at();

-- Audit of the rules ---------------------------------------------------------------------------

-- The rules decide models' status and tiers, so every write to them is recorded like a write to
-- the catalog (public.model_access_audit, which is keyed by model and so cannot hold a rule), by
-- triggers, so that Studio's edits are caught too.
create table public.model_access_rules_audit (
  id bigint generated always as identity primary key,
  rule_id bigint not null,
  operation text not null,
  actor_user_id uuid,
  actor_role text not null,
  changed_at timestamptz not null default clock_timestamp(),
  old_values jsonb,
  new_values jsonb,
  constraint model_access_rules_audit_operation_check
    check (operation in ('insert', 'update', 'delete', 'truncate')),
  constraint model_access_rules_audit_values_match_operation check (
    case operation
      when 'insert' then old_values is null and new_values is not null
      when 'update' then old_values is not null and new_values is not null
      else old_values is not null and new_values is null
    end
  )
);

comment on table public.model_access_rules_audit is
  'Audit trail of every write to model_access_rules. Written only by trigger; readable by admins '
  'and the service role.';
comment on column public.model_access_rules_audit.rule_id is
  'model_access_rules.id of the changed rule (no foreign key: the trail outlives deleted rules).';
comment on column public.model_access_rules_audit.operation is
  'insert | update | delete | truncate (one row per rule the truncate removed).';
comment on column public.model_access_rules_audit.actor_user_id is
  'auth.uid() of the request (JWT sub) when there is one; null for the service role and for '
  'operators connected directly.';
comment on column public.model_access_rules_audit.actor_role is
  'Database role of the request (authenticated, service_role, postgres, supabase_admin, ...).';
comment on column public.model_access_rules_audit.old_values is
  'Before: the whole rule for a delete or truncate, the changed columns for an update; null for '
  'an insert.';
comment on column public.model_access_rules_audit.new_values is
  'After: the whole rule for an insert, the changed columns for an update; null for a delete or '
  'truncate.';

create index model_access_rules_audit_rule_id_changed_at_idx
  on public.model_access_rules_audit (rule_id, changed_at desc);

alter table public.model_access_rules_audit enable row level security;

revoke all on table public.model_access_rules_audit from anon, authenticated, service_role;
grant select on table public.model_access_rules_audit to authenticated, service_role;

create policy "Admins can read the access rules audit"
  on public.model_access_rules_audit
  for select
  to authenticated
  using ((select private.is_admin()));

-- Security definer: no API role can write the audit table, so that nobody can forge or erase
-- entries; the trigger writes as the owner. The actor is the request's JWT (auth.uid()) and role
-- (private.request_role), not current_user, which is the owner inside this function.
create function private.record_model_access_rules_audit()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_actor_role text := private.request_role();
  v_actor_user_id uuid := auth.uid();
begin
  if tg_op = 'INSERT' then
    insert into public.model_access_rules_audit (
      rule_id, operation, actor_user_id, actor_role, new_values
    )
    select n.id, 'insert', v_actor_user_id, v_actor_role, to_jsonb(n)
    from new_rows as n;
  elsif tg_op = 'UPDATE' then
    insert into public.model_access_rules_audit (
      rule_id, operation, actor_user_id, actor_role, old_values, new_values
    )
    select n.id, 'update', v_actor_user_id, v_actor_role, d.old_values, d.new_values
    from old_rows as o
    join new_rows as n on n.id = o.id
    -- updated_at follows the row: a change of it alone is no change.
    cross join lateral private.audit_changed_values(
      to_jsonb(o) - 'updated_at', to_jsonb(n) - 'updated_at'
    ) as d
    where d.old_values is not null;
  elsif tg_op = 'DELETE' then
    insert into public.model_access_rules_audit (
      rule_id, operation, actor_user_id, actor_role, old_values
    )
    select o.id, 'delete', v_actor_user_id, v_actor_role, to_jsonb(o)
    from old_rows as o;
  else
    -- Before the truncate, while the rules are still there to record.
    insert into public.model_access_rules_audit (
      rule_id, operation, actor_user_id, actor_role, old_values
    )
    select r.id, 'truncate', v_actor_user_id, v_actor_role, to_jsonb(r)
    from public.model_access_rules as r;
  end if;
  return null;
end;
$$;

comment on function private.record_model_access_rules_audit() is
  'Statement-level trigger on model_access_rules (after insert, update and delete, before '
  'truncate): records each written rule in model_access_rules_audit with the actor, one '
  'set-based insert per statement.';

revoke execute on function private.record_model_access_rules_audit()
  from public, anon, authenticated, service_role;

create trigger record_model_access_rules_audit_on_insert
  after insert on public.model_access_rules
  referencing new table as new_rows
  for each statement
  execute function private.record_model_access_rules_audit();

create trigger record_model_access_rules_audit_on_update
  after update on public.model_access_rules
  referencing old table as old_rows new table as new_rows
  for each statement
  execute function private.record_model_access_rules_audit();

create trigger record_model_access_rules_audit_on_delete
  after delete on public.model_access_rules
  referencing old table as old_rows
  for each statement
  execute function private.record_model_access_rules_audit();

create trigger record_model_access_rules_audit_on_truncate
  before truncate on public.model_access_rules
  for each statement
  execute function private.record_model_access_rules_audit();

-- Valid rule patterns --------------------------------------------------------------------------

-- The one definition of a pattern a rule may hold. A pattern is checked when the rule is written,
-- because at match time a bad one fails (or stalls) every sync and apply_model_access_rules call,
-- not just the rule's own models.
create function private.model_access_rule_problem(rule public.model_access_rules)
returns text
language plpgsql
immutable
security invoker
set search_path = ''
as $$
declare
  pattern_limit constant integer := 500;
begin
  if char_length(rule.match_model_id_like) > pattern_limit then
    return format('match_model_id_like may be at most %s characters long', pattern_limit);
  end if;
  -- LIKE's escape character is the backslash: one left unpaired at the end escapes nothing, and
  -- every match against it raises SQLSTATE 22025.
  if (char_length(rule.match_model_id_like)
      - char_length(rtrim(rule.match_model_id_like, '\'))) % 2 = 1 then
    return 'match_model_id_like must not end in a single backslash (LIKE''s escape character); '
      || 'write \\ for a literal backslash';
  end if;

  if char_length(rule.match_model_id_regex) > pattern_limit then
    return format('match_model_id_regex may be at most %s characters long', pattern_limit);
  end if;
  -- Back-references are what makes Postgres's regex engine backtrack: matching one can take time
  -- exponential in the id's length. Without them it runs as an automaton, in bounded time.
  if rule.match_model_id_regex ~ '(^|[^\\])(\\\\)*\\[1-9]' then
    return 'match_model_id_regex must not use back-references (\1 to \9): they can make matching '
      || 'take exponentially long';
  end if;
  begin
    perform '' ~ rule.match_model_id_regex;
  exception
    when invalid_regular_expression then
      return 'match_model_id_regex is not a valid regular expression: '
        || regexp_replace(sqlerrm, '^invalid regular expression: ', '');
  end;

  -- A bound is held to what a valid price is (private.parse_price), like the prices it is compared
  -- with: one definition of a price for the catalog and its rules.
  if rule.match_min_prompt_price is not null
      and private.parse_price(rule.match_min_prompt_price::text) is null
    or rule.match_max_prompt_price is not null
      and private.parse_price(rule.match_max_prompt_price::text) is null
    or rule.match_min_completion_price is not null
      and private.parse_price(rule.match_min_completion_price::text) is null
    or rule.match_max_completion_price is not null
      and private.parse_price(rule.match_max_completion_price::text) is null then
    return 'price bounds must be valid prices: decimals of at most 40 characters';
  end if;

  if rule.match_input_modality !~ '^[a-z][a-z0-9_-]{0,49}$' then
    return 'match_input_modality must be a modality name in lowercase, e.g. text, image, audio, file';
  end if;
  if rule.match_output_modality !~ '^[a-z][a-z0-9_-]{0,49}$' then
    return 'match_output_modality must be a modality name in lowercase, e.g. text, image, audio, '
      || 'embeddings';
  end if;
  return null;
end;
$$;

comment on function private.model_access_rule_problem(public.model_access_rules) is
  'Why the rule cannot be saved, or null: match_model_id_like without a trailing unpaired '
  'escape, match_model_id_regex compiling and without back-references, both at most 500 '
  'characters; modalities as lowercase names; price bounds valid prices (private.parse_price). '
  'Checked by the trigger check_patterns.';

revoke execute on function private.model_access_rule_problem(public.model_access_rules)
  from public, anon, authenticated, service_role;
grant execute on function private.model_access_rule_problem(public.model_access_rules)
  to authenticated, service_role;

-- Invoker: it only reads the row being written. It raises as a check constraint would (23514,
-- with a constraint name) so that clients tell it from other errors, with the problem as message.
create function private.check_model_access_rule()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
declare
  problem text := private.model_access_rule_problem(new);
begin
  if problem is not null then
    raise exception using
      errcode = '23514',
      constraint = 'model_access_rules_patterns_valid',
      message = problem;
  end if;
  return new;
end;
$$;

comment on function private.check_model_access_rule() is
  'BEFORE INSERT OR UPDATE trigger on model_access_rules: refuses a rule whose patterns '
  'private.model_access_rule_problem finds a problem with (23514, '
  'model_access_rules_patterns_valid), whoever writes it: admin-models, the Data API or Studio.';

revoke execute on function private.check_model_access_rule()
  from public, anon, authenticated, service_role;

create trigger check_patterns
  before insert or update on public.model_access_rules
  for each row
  execute function private.check_model_access_rule();

-- Admin-managed models --------------------------------------------------------------------------

-- Invoker: it only changes the row being written. The sync and hand_models_to_rules announce their
-- rule-driven writes with the transaction-local setting model_access.applying_rules = 'on' (reset
-- after their statement); every other change of status or flags is a decision by hand.
create function private.mark_access_admin_managed()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if coalesce(current_setting('model_access.applying_rules', true), '') <> 'on' then
    new.access_managed_by := 'admin';
  end if;
  return new;
end;
$$;

comment on function private.mark_access_admin_managed() is
  'BEFORE UPDATE trigger on model_access: a change of status or tier flags made outside the rules '
  '(sync, hand_models_to_rules) makes the model admin-managed.';

revoke execute on function private.mark_access_admin_managed()
  from public, anon, authenticated, service_role;

-- The WHEN clause keeps the function off every row whose access does not change, and off writes
-- that set access_managed_by themselves (handing back).
create trigger mark_access_admin_managed
  before update of status, is_free, is_pro, is_enterprise on public.model_access
  for each row
  when (
    (old.status, old.is_free, old.is_pro, old.is_enterprise)
      is distinct from (new.status, new.is_free, new.is_pro, new.is_enterprise)
    and new.access_managed_by = 'rules'
    and old.access_managed_by = 'rules'
  )
  execute function private.mark_access_admin_managed();

-- Applying the rules to catalog rows ------------------------------------------------------------

-- What a tiering rule looks at in a model.
create type private.rule_subject as (
  model_id text,
  prompt_price numeric,
  completion_price numeric,
  context_length integer,
  input_modalities text[],
  output_modalities text[]
);

comment on type private.rule_subject is
  'The attributes of a model that model_access_rules match on (private.first_matching_rules).';

-- THE rule-matching predicate. Set-based: called once per statement with every model to match,
-- so that the per-call cost of a function that cannot be inlined (`set search_path`) is paid once,
-- not per model and rule.
create function private.first_matching_rules(subjects private.rule_subject[])
returns table (
  model_id text,
  rule text,
  status text,
  is_free boolean,
  is_pro boolean,
  is_enterprise boolean
)
language sql
stable
security invoker
-- A planner hint, not a promise: estimated small, the matches are what hash joins build their
-- table from, rather than the wide rows of the models being written.
rows 1
set search_path = ''
as $$
  with
  rules as materialized (
    select r.*
    from public.model_access_rules as r
    where r.enabled
  )
  select s.model_id, x.name, x.status, x.is_free, x.is_pro, x.is_enterprise
  from unnest(first_matching_rules.subjects) as s
  cross join lateral (
    select r.name, r.status, r.is_free, r.is_pro, r.is_enterprise
    from rules as r
    where (r.match_model_id_like is null or s.model_id like r.match_model_id_like)
      and (r.match_model_id_regex is null or s.model_id ~ r.match_model_id_regex)
      and (r.match_provider is null or split_part(s.model_id, '/', 1) = r.match_provider)
      and (r.match_is_free_variant is null
        or (right(s.model_id, 5) = ':free') = r.match_is_free_variant)
      and (r.match_min_prompt_price is null or s.prompt_price >= r.match_min_prompt_price)
      and (r.match_max_prompt_price is null or s.prompt_price <= r.match_max_prompt_price)
      and (r.match_min_completion_price is null
        or s.completion_price >= r.match_min_completion_price)
      and (r.match_max_completion_price is null
        or s.completion_price <= r.match_max_completion_price)
      and (r.match_min_context_length is null
        or s.context_length >= r.match_min_context_length)
      and (r.match_input_modality is null
        or r.match_input_modality = any (s.input_modalities))
      and (r.match_output_modality is null
        or r.match_output_modality = any (s.output_modalities))
    order by r.priority, r.id
    limit 1
  ) as x;
$$;

comment on function private.first_matching_rules(private.rule_subject[]) is
  'For each model given, the first enabled tiering rule (by priority, then id) whose every '
  'non-null match_* condition holds: its name, status and tier flags. Models no rule matches are '
  'left out. The single match used by the sync and by apply_model_access_rules.';

revoke execute on function private.first_matching_rules(private.rule_subject[])
  from public, anon, authenticated, service_role;
grant execute on function private.first_matching_rules(private.rule_subject[])
  to authenticated, service_role;

create function public.apply_model_access_rules(model_ids text[] default null)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_changed jsonb;
begin
  if not private.can_manage_catalog() then
    raise exception using
      errcode = '42501',
      message = 'permission denied: only admins and the service role can apply access rules';
  end if;

  perform set_config('model_access.applying_rules', 'on', true);

  -- Rules match through private.first_matching_rules, as in the sync. A model gone upstream
  -- keeps `inactive` and remembers the rule's new/active for its return.
  with
  subjects as materialized (
    select
      m.id, m.model_id, m.prompt_price, m.completion_price, m.context_length, m.input_modalities,
      m.output_modalities, m.upstream_removed_at
    from public.model_access as m
    where m.access_managed_by = 'rules'
      and (apply_model_access_rules.model_ids is null
        or m.model_id = any (apply_model_access_rules.model_ids))
  ),
  matched as materialized (
    select x.*
    from private.first_matching_rules((
      select array_agg(
        row(
          s.model_id, s.prompt_price, s.completion_price, s.context_length, s.input_modalities,
          s.output_modalities
        )::private.rule_subject
      )
      from subjects as s
    )) as x
  ),
  target as (
    select
      s.id,
      s.model_id,
      x.rule,
      coalesce(x.status, 'new') as rule_status,
      coalesce(x.is_free, false) as is_free,
      coalesce(x.is_pro, false) as is_pro,
      coalesce(x.is_enterprise, false) as is_enterprise,
      s.upstream_removed_at is not null as removed
    from subjects as s
    left join matched as x on x.model_id = s.model_id
  ),
  changed as (
    update public.model_access as m
    set
      status = case
        when t.removed and t.rule_status in ('new', 'active') then 'inactive'
        else t.rule_status
      end,
      status_before_inactive = case
        when t.removed and t.rule_status in ('new', 'active') then t.rule_status
      end,
      is_free = t.is_free,
      is_pro = t.is_pro,
      is_enterprise = t.is_enterprise
    from target as t
    where m.id = t.id
      and (m.status, m.status_before_inactive, m.is_free, m.is_pro, m.is_enterprise)
        is distinct from (
          case
            when t.removed and t.rule_status in ('new', 'active') then 'inactive'
            else t.rule_status
          end,
          case when t.removed and t.rule_status in ('new', 'active') then t.rule_status end,
          t.is_free, t.is_pro, t.is_enterprise
        )
    returning m.model_id, m.status, m.is_free, m.is_pro, m.is_enterprise, t.rule
  )
  select coalesce(
    jsonb_agg(
      jsonb_build_object(
        'model_id', c.model_id, 'rule', c.rule, 'status', c.status, 'is_free', c.is_free,
        'is_pro', c.is_pro, 'is_enterprise', c.is_enterprise
      )
      order by c.model_id
    ),
    '[]'::jsonb
  )
  into v_changed
  from changed as c;

  perform set_config('model_access.applying_rules', 'off', true);

  return jsonb_build_object(
    'success', true, 'updated_count', jsonb_array_length(v_changed), 'changes', v_changed
  );
end;
$$;

comment on function public.apply_model_access_rules(text[]) is
  'Admin: applies model_access_rules now to the rule-managed models (all of them, or those in '
  'model_ids), e.g. after editing the rules; admin-managed models are left alone. Returns '
  '{success, updated_count, changes: [{model_id, rule, status, is_free, is_pro, is_enterprise}]}. '
  'Admins and the service role only.';

revoke execute on function public.apply_model_access_rules(text[])
  from public, anon, authenticated, service_role;
grant execute on function public.apply_model_access_rules(text[]) to authenticated, service_role;

create function public.hand_models_to_rules(model_ids text[])
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_ids text[];
  v_unknown_ids text[];
  v_result jsonb;
begin
  if not private.can_manage_catalog() then
    raise exception using
      errcode = '42501',
      message = 'permission denied: only admins and the service role can change model access';
  end if;

  select array_agg(distinct x order by x)
  into v_ids
  from unnest(hand_models_to_rules.model_ids) as x
  where x is not null;
  if v_ids is null then
    raise exception using
      errcode = '22023', message = 'model_ids must name at least one model', column = 'model_ids';
  end if;

  -- The detail lists the unknown ids as a JSON array, for callers to name them.
  select array_agg(x order by x)
  into v_unknown_ids
  from unnest(v_ids) as x
  where not exists (select 1 from public.model_access as m where m.model_id = x);
  if v_unknown_ids is not null then
    raise exception using
      errcode = 'P0002',
      message = 'unknown model ids: ' || array_to_string(v_unknown_ids, ', '),
      detail = to_jsonb(v_unknown_ids)::text;
  end if;

  update public.model_access as m
  set access_managed_by = 'rules'
  where m.model_id = any (v_ids)
    and m.access_managed_by <> 'rules';

  v_result := public.apply_model_access_rules(v_ids);
  return v_result || jsonb_build_object('handed_back', to_jsonb(v_ids));
end;
$$;

comment on function public.hand_models_to_rules(text[]) is
  'Admin: makes the models rule-managed again and applies the rules to them at once. Returns '
  'apply_model_access_rules''s answer plus handed_back; refuses no ids with 22023 and unknown ids '
  'with P0002 (detail: their JSON array). Admins and the service role only.';

revoke execute on function public.hand_models_to_rules(text[])
  from public, anon, authenticated, service_role;
grant execute on function public.hand_models_to_rules(text[]) to authenticated, service_role;
