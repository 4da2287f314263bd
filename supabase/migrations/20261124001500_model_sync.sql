-- public.sync_openrouter_models, public.begin_sync_run and public.log_sync_failure: apply an
-- OpenRouter catalog (GET /api/v1/models `data` array) to public.model_access and record the run
-- in public.model_sync_log, with its price changes (model_price_history), the tiering rules
-- applied to new and changed models (model_access_rules), upstream deprecations, and a change
-- digest (model_change_digests); and private.parse_catalog_records, the one definition of a valid
-- upstream record.
--
-- Why: the catalog must follow upstream without ever losing admin decisions or rewriting rows for
-- nothing, and no upstream record may break a run. The sync is a few set-based steps over
-- temporary tables (stage and classify, parse and access, offered, apply, gate, record), so that it
-- scales to large catalogs, a run with no upstream change writes no catalog row, and a reader can
-- follow each step alone. An invalid record is skipped and counted with its reason. An integrity
-- gate refuses empty or suspiciously truncated catalogs and runs that would take many models from
-- users or offer many without review; every override is recorded.
-- Any failure after a run began leaves it `failed` with its cause. The sync runs in security
-- definer functions in `private`, behind public entry points of the same names: the sync log and
-- the price history are written by nobody else, so no API role may write them. Each first checks
-- that the request comes from an admin, the service role or an operator; anybody else gets a
-- permission error.

-- The checks every sync entry point makes first: the caller may manage the catalog, and says
-- who triggered the run. can_manage_catalog checks the request's role, which the definer
-- functions calling this do not change.
create function private.check_sync_caller(fn text, action text, triggered_by text)
returns void
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if not private.can_manage_catalog() then
    raise exception using
      errcode = '42501',
      message = 'permission denied: only admins and the service role can '
        || check_sync_caller.action;
  end if;
  if check_sync_caller.triggered_by is null
    or check_sync_caller.triggered_by not in ('cron', 'admin', 'manual') then
    raise exception using
      errcode = '22023',
      message = check_sync_caller.fn || ': triggered_by must be cron, admin or manual';
  end if;
  -- Only the scheduler's role may log a run as the scheduled one: an admin's run is the admin's.
  if check_sync_caller.triggered_by = 'cron' and private.request_role() = 'authenticated' then
    raise exception using
      errcode = '42501',
      message = check_sync_caller.fn || ': only the scheduler (service role) syncs as cron';
  end if;
end;
$$;

comment on function private.check_sync_caller(text, text, text) is
  'Raises 42501 unless the caller is an admin or the service role (or an operator), 22023 '
  'unless triggered_by is cron, admin or manual, and 42501 for a signed-in user claiming cron. '
  'Called first by the sync entry points.';

revoke execute on function private.check_sync_caller(text, text, text)
  from public, anon, authenticated, service_role;
grant execute on function private.check_sync_caller(text, text, text) to authenticated, service_role;

-- Who asked for an override, for the run's row: the admin's user id, else the request's database
-- role (service_role for sync-models and cron), which current_user would hide inside the
-- sync's definer function.
create function private.sync_caller_name()
returns text
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce((select auth.uid())::text, private.request_role());
$$;

comment on function private.sync_caller_name() is
  'The admin''s auth.uid() as text, or the request''s database role (private.request_role): who '
  'asked for a sync''s override (model_sync_log.forced_by).';

revoke execute on function private.sync_caller_name() from public, anon, authenticated, service_role;
grant execute on function private.sync_caller_name() to authenticated, service_role;

create function private.sync_duration_ms(started_at timestamptz)
returns numeric
language sql
volatile
security invoker
set search_path = ''
as $$
  select round(extract(epoch from clock_timestamp() - sync_duration_ms.started_at) * 1000, 3);
$$;

comment on function private.sync_duration_ms(timestamptz) is
  'Wall-clock milliseconds since started_at (clock_timestamp, not the transaction''s start).';

revoke execute on function private.sync_duration_ms(timestamptz)
  from public, anon, authenticated, service_role;
grant execute on function private.sync_duration_ms(timestamptz) to authenticated, service_role;

create function private.same_unordered(a jsonb, b jsonb)
returns boolean
language sql
immutable
security invoker
set search_path = ''
as $$
  select coalesce(
    same_unordered.a @> same_unordered.b and same_unordered.a <@ same_unordered.b,
    same_unordered.a is not distinct from same_unordered.b
  );
$$;

comment on function private.same_unordered(jsonb, jsonb) is
  'Two jsonb lists hold the same members in any order (or are equal values otherwise).';

revoke execute on function private.same_unordered(jsonb, jsonb)
  from public, anon, authenticated, service_role;
grant execute on function private.same_unordered(jsonb, jsonb) to authenticated, service_role;

-- Called only for records whose hash differs from the stored one's and whose pricing does not.
create function private.same_upstream_record(stored jsonb, received jsonb)
returns boolean
language sql
immutable
security invoker
set search_path = ''
as $$
  select
    (
      same_upstream_record.stored #- '{architecture,input_modalities}'
        #- '{architecture,output_modalities}' #- '{supported_parameters}'
    ) is not distinct from (
      same_upstream_record.received #- '{architecture,input_modalities}'
        #- '{architecture,output_modalities}' #- '{supported_parameters}'
    )
    and private.same_unordered(
      same_upstream_record.stored #> '{architecture,input_modalities}',
      same_upstream_record.received #> '{architecture,input_modalities}'
    )
    and private.same_unordered(
      same_upstream_record.stored #> '{architecture,output_modalities}',
      same_upstream_record.received #> '{architecture,output_modalities}'
    )
    and private.same_unordered(
      same_upstream_record.stored -> 'supported_parameters',
      same_upstream_record.received -> 'supported_parameters'
    );
$$;

comment on function private.same_upstream_record(jsonb, jsonb) is
  'True when two upstream records are equal, ignoring the order of the lists upstream does not '
  'keep in order (architecture.input_modalities, architecture.output_modalities, '
  'supported_parameters): a reordered list is no change.';

revoke execute on function private.same_upstream_record(jsonb, jsonb)
  from public, anon, authenticated, service_role;
grant execute on function private.same_upstream_record(jsonb, jsonb) to authenticated, service_role;

-- A parsed upstream record: the rows of the parser below, and the columns the sync's table of
-- writes keeps of them.
create type private.parsed_catalog_record as (
  ord integer,
  problem text,
  canonical_slug text,
  hugging_face_id text,
  model_name text,
  context_length integer,
  created_timestamp bigint,
  modality text,
  input_modalities text[],
  output_modalities text[],
  tokenizer text,
  prompt_price numeric,
  completion_price numeric,
  request_price numeric,
  image_price numeric,
  web_search_price numeric,
  internal_reasoning_price numeric,
  input_cache_read_price numeric,
  input_cache_write_price numeric,
  max_completion_tokens integer,
  is_moderated boolean,
  supported_parameters text[],
  expires_at timestamptz
);

comment on type private.parsed_catalog_record is
  'An upstream catalog record as private.parse_catalog_records returns it: its position, its '
  'first problem (or null) and, for a valid record, its typed columns.';

-- The one parser of upstream records: what a valid catalog record is, and its typed columns.
-- Set-based (one call per run with every position to parse), because a function that cannot be
-- inlined (`set search_path`) costs microseconds per call; for the same reason parse_price is
-- called once per distinct price, not once per record. A record is refused with the first
-- problem found; the sync skips and counts it and never fails the run for it. Values the catalog
-- does not rely on (architecture, supported_parameters, top_provider.is_moderated) are read
-- leniently: an odd shape is null in its column and kept in openrouter_data.
create function private.parse_catalog_records(records jsonb, positions integer[])
returns setof private.parsed_catalog_record
language sql
stable
security invoker
set search_path = ''
as $$
  -- Records are extracted in subqueries kept whole by offset 0 (once per pass, not once per use:
  -- one pass for the pricing objects, one for the columns) and are not materialized: a CTE of the
  -- records would hold a copy of the payload (130 MB at 100k models, spilled to disk).
  -- Each distinct pricing object is checked and typed once, and each distinct price in it: a
  -- catalog repeats a few hundred over all its models, and a call of parse_price costs
  -- microseconds. Records find their typed prices by their pricing object (a hash join).
  with pricings as materialized (
    select distinct r.pricing
    from (
      select parse_catalog_records.records -> p.ord -> 'pricing' as pricing
      from unnest(parse_catalog_records.positions) as p (ord)
      offset 0
    ) as r
    where jsonb_typeof(r.pricing) = 'object'
  ),
  -- materialized: the check must not be pushed below the distinct, into every member.
  price_values as materialized (
    select distinct p.value
    from pricings as o
    cross join lateral jsonb_each(o.pricing) as p (key, value)
    where p.value <> 'null'
  ),
  invalid_prices as materialized (
    select v.value
    from price_values as v
    where jsonb_typeof(v.value) not in ('string', 'number')
      or private.parse_price(v.value #>> '{}') is null
  ),
  typed_pricings as materialized (
    select
      o.pricing,
      i.invalid,
      -- Every present price of a valid object passed parse_price: these casts cannot fail.
      case when not i.invalid then (o.pricing ->> 'prompt')::numeric end as prompt_price,
      case when not i.invalid then (o.pricing ->> 'completion')::numeric end as completion_price,
      case when not i.invalid then (o.pricing ->> 'request')::numeric end as request_price,
      case when not i.invalid then (o.pricing ->> 'image')::numeric end as image_price,
      case when not i.invalid then (o.pricing ->> 'web_search')::numeric end as web_search_price,
      case when not i.invalid then (o.pricing ->> 'internal_reasoning')::numeric end
        as internal_reasoning_price,
      case when not i.invalid then (o.pricing ->> 'input_cache_read')::numeric end
        as input_cache_read_price,
      case when not i.invalid then (o.pricing ->> 'input_cache_write')::numeric end
        as input_cache_write_price
    from pricings as o
    cross join lateral (
      select exists (
        select 1
        from jsonb_each(o.pricing) as p (key, value)
        where p.value in (select x.value from invalid_prices as x)
      ) as invalid
      offset 0
    ) as i
  )
  select
    c.ord,
    c.problem,
    case when c.problem is null then nullif(c.rec ->> 'canonical_slug', '') end,
    case when c.problem is null then nullif(c.rec ->> 'hugging_face_id', '') end,
    case when c.problem is null then c.rec ->> 'name' end,
    case when c.problem is null then c.context_length::integer end,
    case when c.problem is null then (c.rec ->> 'created')::bigint end,
    case when c.problem is null then c.architecture ->> 'modality' end,
    case when c.problem is null and jsonb_typeof(c.architecture -> 'input_modalities') = 'array'
      then array(select jsonb_array_elements_text(c.architecture -> 'input_modalities'))
    end,
    case when c.problem is null and jsonb_typeof(c.architecture -> 'output_modalities') = 'array'
      then array(select jsonb_array_elements_text(c.architecture -> 'output_modalities'))
    end,
    case when c.problem is null then c.architecture ->> 'tokenizer' end,
    case when c.problem is null then c.prompt_price end,
    case when c.problem is null then c.completion_price end,
    case when c.problem is null then c.request_price end,
    case when c.problem is null then c.image_price end,
    case when c.problem is null then c.web_search_price end,
    case when c.problem is null then c.internal_reasoning_price end,
    case when c.problem is null then c.input_cache_read_price end,
    case when c.problem is null then c.input_cache_write_price end,
    case when c.problem is null then c.max_completion_tokens::integer end,
    case when c.problem is null then
      case c.top_provider -> 'is_moderated' when 'true' then true when 'false' then false end
    end,
    case when c.problem is null and jsonb_typeof(c.rec -> 'supported_parameters') = 'array'
      then array(select jsonb_array_elements_text(c.rec -> 'supported_parameters'))
    end,
    case when c.problem is null then c.expires_at end
  from (
    select
      v.*,
      tp.prompt_price, tp.completion_price, tp.request_price, tp.image_price, tp.web_search_price,
      tp.internal_reasoning_price, tp.input_cache_read_price, tp.input_cache_write_price,
      case
        when jsonb_typeof(v.rec) <> 'object' then 'not_an_object'
        -- Characters are counted only past as many bytes: counting UTF-8 costs a pass per text.
        when v.rec -> 'name' <> 'null'
          and (
            jsonb_typeof(v.rec -> 'name') <> 'string'
            or octet_length(v.rec ->> 'name') > 500 and length(v.rec ->> 'name') > 500
          )
          then 'invalid_name'
        when v.rec -> 'description' <> 'null'
          and (
            jsonb_typeof(v.rec -> 'description') <> 'string'
            or octet_length(v.rec ->> 'description') > 100000
              and length(v.rec ->> 'description') > 100000
          )
          then 'invalid_description'
        when v.pricing is not null and (jsonb_typeof(v.pricing) <> 'object' or tp.invalid)
          then 'invalid_price'
        when v.rec -> 'created' <> 'null' and not (
          jsonb_typeof(v.rec -> 'created') = 'number' and v.rec ->> 'created' ~ '^[0-9]{1,12}$'
        ) then 'invalid_created'
        when v.context_length is not null and v.context_length !~ '^[0-9]{1,9}$'
          then 'invalid_context_length'
        when v.max_completion_tokens is not null and v.max_completion_tokens !~ '^[0-9]{1,9}$'
          then 'invalid_max_completion_tokens'
        when v.rec -> 'expiration_date' <> 'null' and v.expires_at is null
          then 'invalid_expiration_date'
      end as problem
    from (
      select
        r.ord,
        r.rec,
        nullif(r.rec -> 'pricing', 'null') as pricing,
        case when jsonb_typeof(r.rec -> 'architecture') = 'object' then r.rec -> 'architecture' end
          as architecture,
        case when jsonb_typeof(r.rec -> 'top_provider') = 'object' then r.rec -> 'top_provider' end
          as top_provider,
        -- jsonb's text of a number is its digits; of a string, quoted (so refused below).
        coalesce(
          nullif(r.rec -> 'context_length', 'null'),
          nullif(r.rec #> '{top_provider,context_length}', 'null')
        )::text as context_length,
        nullif(r.rec #> '{top_provider,max_completion_tokens}', 'null')::text
          as max_completion_tokens,
        -- Upstream's announced retirement: a date, or an ISO timestamp whose day counts (at 00:00
        -- UTC). An impossible date (2025-02-30) is not a date.
        case when d.day ~ '^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
          and substr(d.day, 9, 2)::integer <= extract(day from (
            make_date(substr(d.day, 1, 4)::integer, substr(d.day, 6, 2)::integer, 1)
              + interval '1 month - 1 day'
          ))
          then (d.day || ' 00:00:00+00')::timestamptz
        end as expires_at
      from (
        select p.ord, parse_catalog_records.records -> p.ord as rec
        from unnest(parse_catalog_records.positions) as p (ord)
        offset 0
      ) as r
      cross join lateral (
        select case when jsonb_typeof(r.rec -> 'expiration_date') = 'string' then
          substring(r.rec ->> 'expiration_date' from '^([0-9-]{10})(T.*)?$')
        end as day
      ) as d
    ) as v
    left join typed_pricings as tp on tp.pricing = v.pricing
    -- offset 0: each record's problem is found once, not once per column that asks for it.
    offset 0
  ) as c
$$;

comment on function private.parse_catalog_records(jsonb, integer[]) is
  'The one definition of a valid upstream catalog record: for each position of `records` (a '
  'jsonb array), the first problem (not_an_object, invalid_name, invalid_description, '
  'invalid_price, invalid_created, invalid_context_length, invalid_max_completion_tokens, '
  'invalid_expiration_date) or null, and the typed columns of a valid record. Ids are checked by '
  'the sync as it stages the records; a valid description is the record''s own text, which the '
  'sync writes from the record.';

revoke execute on function private.parse_catalog_records(jsonb, integer[])
  from public, anon, authenticated, service_role;
grant execute on function private.parse_catalog_records(jsonb, integer[]) to authenticated, service_role;

create function private.sync_openrouter_models(
  models_data jsonb,
  triggered_by text default 'manual',
  force boolean default false,
  dry_run boolean default false,
  max_inactive_share numeric default null,
  sync_log_id bigint default null,
  max_new_visible_share numeric default null
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
-- JIT compiling these statements costs far more than running them.
set jit = off
-- The payload is a parameter of most statements. A custom plan (the default for a statement run
-- once per call) inlines a copy of it for every reference: 130 MB each at 100k models.
set plan_cache_mode = force_generic_plan
-- The steps' temporary tables and hash joins hold the payload's records: at the default 4 MB they
-- spill to temporary files.
set work_mem = '64MB'
as $$
declare
  -- The gate's thresholds unless the caller overrides them (an override is recorded as forced).
  c_max_inactive_share constant numeric := 0.2;
  c_max_new_visible_share constant numeric := 0.2;
  -- A share of a handful of models says nothing: a new project lists only its three seeded
  -- models, one of which may be gone upstream. The gate needs more than this many models too.
  c_gate_min_models constant integer := 10;
  v_started_at timestamptz := clock_timestamp();
  v_apply boolean := not sync_openrouter_models.dry_run;
  v_max_inactive_share numeric :=
    coalesce(sync_openrouter_models.max_inactive_share, c_max_inactive_share);
  v_max_new_visible_share numeric :=
    coalesce(sync_openrouter_models.max_new_visible_share, c_max_new_visible_share);
  v_overrides jsonb;
  v_forced boolean;
  v_models jsonb;
  v_caller_skipped jsonb;
  v_caller_sanitized integer;
  v_log_id bigint;
  v_last_completed_sync_at timestamptz;
  v_gate jsonb;
  v_counts jsonb;
  v_unchanged bigint;
  v_duplicates bigint;
  v_ids jsonb;
  v_refusal text;
  v_message text;
  v_rows_written bigint := 0;
  v_rows bigint;
  v_duration_ms numeric;
  v_preview jsonb;
  v_error_state text;
  v_error_message text;
  v_error_context text;
begin
  perform private.check_sync_caller(
    'sync_openrouter_models', 'sync the model catalog', sync_openrouter_models.triggered_by
  );
  if v_max_inactive_share not between 0 and 1 or v_max_new_visible_share not between 0 and 1 then
    raise exception using
      errcode = '22023',
      message = 'sync_openrouter_models: max_inactive_share and max_new_visible_share must be '
        || 'between 0 and 1';
  end if;

  -- Any change of the gate's behaviour is an override: the run says it was forced, and by whom.
  v_overrides := jsonb_strip_nulls(jsonb_build_object(
    'force', case when sync_openrouter_models.force then true end,
    'max_inactive_share',
      case when v_max_inactive_share <> c_max_inactive_share then v_max_inactive_share end,
    'max_new_visible_share',
      case when v_max_new_visible_share <> c_max_new_visible_share then v_max_new_visible_share end
  ));
  v_forced := v_overrides <> '{}'::jsonb;

  -- Concurrent syncs queue here; the lock is released at the end of the caller's transaction.
  perform pg_advisory_xact_lock(hashtextextended('public.sync_openrouter_models', 0));

  -- The `data` array itself, or an object holding it: the upstream response, or sync-models'
  -- envelope, which adds the records it could not pass on (`skipped`, [{id, problem}]) and the
  -- number it had to clean (`sanitized`): Postgres text cannot hold \u0000 or lone surrogates.
  -- `#> '{}'` hands back the whole array detoasted: the steps read it by position, which must not
  -- decompress a stored (toasted) argument again for every record.
  if jsonb_typeof(sync_openrouter_models.models_data) = 'array' then
    v_models := sync_openrouter_models.models_data #> '{}';
  elsif jsonb_typeof(sync_openrouter_models.models_data) = 'object' then
    v_models := sync_openrouter_models.models_data -> 'data';
    v_caller_skipped := sync_openrouter_models.models_data -> 'skipped';
    v_caller_sanitized := case
      when jsonb_typeof(sync_openrouter_models.models_data -> 'sanitized') = 'number'
        then (sync_openrouter_models.models_data ->> 'sanitized')::integer
    end;
  end if;
  if jsonb_typeof(v_caller_skipped) is distinct from 'array' then
    v_caller_skipped := '[]'::jsonb;
  end if;

  if v_apply and sync_openrouter_models.sync_log_id is not null then
    -- The run was begun (begin_sync_run) before the catalog was fetched: complete that row.
    update public.model_sync_log as l
    set
      forced = v_forced,
      overrides = nullif(v_overrides, '{}'::jsonb),
      forced_by = case when v_forced then private.sync_caller_name() end,
      total_openrouter_models =
        case when jsonb_typeof(v_models) = 'array' then jsonb_array_length(v_models) end
          + jsonb_array_length(v_caller_skipped)
    where l.id = sync_openrouter_models.sync_log_id
      and l.sync_status = 'running'
      and l.triggered_by = sync_openrouter_models.triggered_by
    returning l.id into v_log_id;
    if v_log_id is null then
      raise exception using
        errcode = '22023',
        message = format(
          'sync_openrouter_models: sync_log_id %s is not a running %s run',
          sync_openrouter_models.sync_log_id, sync_openrouter_models.triggered_by
        );
    end if;
  elsif v_apply then
    insert into public.model_sync_log (
      started_at, triggered_by, triggered_by_user_id, forced, overrides, forced_by,
      total_openrouter_models
    )
    values (
      v_started_at,
      sync_openrouter_models.triggered_by,
      (select auth.uid()),
      v_forced,
      nullif(v_overrides, '{}'::jsonb),
      case when v_forced then private.sync_caller_name() end,
      case when jsonb_typeof(v_models) = 'array' then jsonb_array_length(v_models) end
        + jsonb_array_length(v_caller_skipped)
    )
    returning id into v_log_id;
  end if;

  if v_models is null or jsonb_typeof(v_models) <> 'array' then
    v_message := 'models_data must be the upstream `data` array (or an object holding it)';
    if v_apply then
      update public.model_sync_log as l
      set
        sync_status = 'failed',
        completed_at = clock_timestamp(),
        error_message = 'invalid_payload: ' || v_message,
        error_details = jsonb_build_object(
          'error', 'invalid_payload',
          'received_type', jsonb_typeof(sync_openrouter_models.models_data)
        ),
        duration_ms = private.sync_duration_ms(v_started_at)
      where l.id = v_log_id;
    end if;
    return jsonb_build_object(
      'success', false,
      'error', 'invalid_payload',
      'message', v_message,
      'dry_run', sync_openrouter_models.dry_run,
      'sync_log_id', v_log_id,
      'duration_ms', private.sync_duration_ms(v_started_at)
    );
  end if;

  -- From here on, any error (a failing statement, statement_timeout, a cancelled query) rolls back
  -- the block's work and ends the run `failed` with its cause; the error is returned rather than
  -- raised so that the run's row is kept.
  begin
    select max(l.started_at)
    into v_last_completed_sync_at
    from public.model_sync_log as l
    where l.sync_status = 'completed';

    -- The steps' tables as plpgsql_check (supabase db lint) should see them: it cannot see tables
    -- made at run time. These pragmas do nothing when the function runs.
    perform 'PRAGMA:TABLE: sync_models (model_id text, ord integer, record_count bigint, '
      'existing_id bigint, change text, problem text, was_listed boolean, rules_manage boolean, '
      'old_status text, old_is_free boolean, old_is_pro boolean, old_is_enterprise boolean, '
      'old_sunset_at timestamptz, old_deprecated_at timestamptz, old_deprecation_source text, '
      'old_status_before_inactive text)';
    perform 'PRAGMA:TABLE: sync_writes (model_id text, existing_id bigint, change text, '
      'rules_manage boolean, old_status text, old_is_free boolean, old_is_pro boolean, '
      'old_is_enterprise boolean, old_sunset_at timestamptz, old_deprecated_at timestamptz, '
      'old_deprecation_source text, old_status_before_inactive text, old_pricing jsonb, ord '
      'integer, problem text, canonical_slug text, hugging_face_id text, model_name text, '
      'context_length integer, created_timestamp bigint, modality '
      'text, input_modalities text[], output_modalities text[], tokenizer text, prompt_price '
      'numeric, completion_price numeric, request_price numeric, image_price numeric, '
      'web_search_price numeric, internal_reasoning_price numeric, input_cache_read_price '
      'numeric, input_cache_write_price numeric, max_completion_tokens integer, is_moderated '
      'boolean, supported_parameters text[], expires_at timestamptz, price_changed boolean, '
      'rule text, new_status text, new_is_free boolean, new_is_pro boolean, new_is_enterprise '
      'boolean, new_deprecated_at timestamptz, new_sunset_at timestamptz, '
      'new_deprecation_source text)';
    perform 'PRAGMA:TABLE: sync_offered_before (tier text, model_id text, vanished boolean, sunset '
      'boolean)';
    perform 'PRAGMA:TABLE: sync_rule_changes (model_id text, rule text, status text, is_free '
      'boolean, is_pro boolean, is_enterprise boolean, is_new boolean)';

    -- Temporary tables, dropped at the end of this block, or with its work if it fails. The steps
    -- that read the payload create their table, then fill it: the query of a CREATE TABLE AS is
    -- planned with the payload copied into the plan for every reference to it (a custom plan,
    -- whatever plan_cache_mode says), 13 MB each at 10k models.
    -- sync_models: every model of the run that it may change, once, and every record refused
    -- (`skipped`, with its problem). `change`: added, updated, reactivated (the catalog's models;
    -- skipped once the parser refuses a record), vanished and held (listed models the catalog
    -- lacks), skipped. Unchanged models are counted, not kept, and so are repeated ids: a run that
    -- changes and refuses nothing (the daily case) stores no row of it, and the later steps read
    -- only what changes. Each count of the run names the classes it takes.
    create temporary table sync_models (
      model_id text,
      ord integer,
      record_count bigint,
      existing_id bigint,
      change text not null,
      problem text,
      was_listed boolean not null,
      rules_manage boolean not null,
      old_status text,
      old_is_free boolean,
      old_is_pro boolean,
      old_is_enterprise boolean,
      old_sunset_at timestamptz,
      old_deprecated_at timestamptz,
      old_deprecation_source text,
      old_status_before_inactive text
    ) on commit drop;
    with
    -- Step 1, stage: every record's position, its id if it is a usable one, and its hash (equal
    -- jsonb values hash alike). Nothing else is read yet: an unchanged record (the daily case) is
    -- never parsed. Hashed here, the records are read in their order; hashed in classify, they
    -- would be read in the catalog's, which costs a third more.
    staged as (
      select
        r.ord,
        case
          when jsonb_typeof(r.id) = 'string'
            and length(r.id #>> '{}') <= 200
            and r.id #>> '{}' ~ '^[A-Za-z0-9][A-Za-z0-9._~-]*/[A-Za-z0-9][A-Za-z0-9._~:+-]*$'
            then r.id #>> '{}'
        end as model_id,
        jsonb_typeof(r.rec) = 'object' as is_object,
        jsonb_hash_extended(r.rec, 0) as record_hash
      from (
        -- offset 0 here and below: each value is taken once rather than once per use.
        select e.ord, e.rec, e.rec -> 'id' as id
        from (
          -- By position (generate_series and `->`): jsonb_array_elements would materialize the
          -- records once more.
          select g.ord, v_models -> g.ord as rec
          from generate_series(0, jsonb_array_length(v_models) - 1) as g (ord)
          offset 0
        ) as e
        offset 0
      ) as r
    ),
    -- Step 2, classify: each model id of the catalog (the last record of a repeated id wins)
    -- against its stored row. A record whose hash equals the stored one's is unchanged without
    -- reading the stored record; otherwise the two are compared ignoring the order of the
    -- unordered arrays (a reordered list upstream is no change). Each model listed until now that
    -- the catalog lacks has vanished, unless the caller refused its record: then it is held as it
    -- is. One scan of model_access serves every count of the run.
    classified as (
      select
        coalesce(w.model_id, m.model_id) as model_id,
        w.ord,
        w.record_count,
        m.id as existing_id,
        case
          when w.model_id is null and m.model_id in (
            select k.skipped ->> 'id' from jsonb_array_elements(v_caller_skipped) as k (skipped)
          ) then 'held'
          when w.model_id is null then 'vanished'
          when m.id is null then 'added'
          when m.upstream_removed_at is not null then 'reactivated'
          when m.openrouter_data_hash
            = coalesce(w.record_hash, jsonb_hash_extended(v_models -> w.ord, 0))
            then 'unchanged'
          -- The common change, told at once: the whole comparison costs about 15 times as much.
          when (m.openrouter_data -> 'pricing') is distinct from (v_models -> w.ord -> 'pricing')
            then 'updated'
          when private.same_upstream_record(m.openrouter_data, v_models -> w.ord) then 'unchanged'
          else 'updated'
        end as change,
        m.id is not null and m.upstream_removed_at is null as was_listed,
        coalesce(m.access_managed_by = 'rules', true) as rules_manage,
        m.status as old_status,
        m.is_free as old_is_free,
        m.is_pro as old_is_pro,
        m.is_enterprise as old_is_enterprise,
        m.sunset_at as old_sunset_at,
        m.deprecated_at as old_deprecated_at,
        m.deprecation_source as old_deprecation_source,
        m.status_before_inactive as old_status_before_inactive
      from (
        -- The hash of an id's only record; a repeated id's winner is hashed above.
        select
          s.model_id,
          max(s.ord) as ord,
          count(*) as record_count,
          case when count(*) = 1 then max(s.record_hash) end as record_hash
        from staged as s
        where s.model_id is not null
        group by s.model_id
      ) as w
      full join public.model_access as m on m.model_id = w.model_id
      where w.model_id is not null or m.upstream_removed_at is null
    ),
    kept as (
      insert into sync_models (
        model_id, ord, record_count, existing_id, change, problem, was_listed, rules_manage,
        old_status, old_is_free, old_is_pro, old_is_enterprise, old_sunset_at, old_deprecated_at,
        old_deprecation_source, old_status_before_inactive
      )
      select
        c.model_id, c.ord, c.record_count, c.existing_id, c.change, null, c.was_listed,
        c.rules_manage, c.old_status, c.old_is_free, c.old_is_pro, c.old_is_enterprise,
        c.old_sunset_at, c.old_deprecated_at, c.old_deprecation_source, c.old_status_before_inactive
      from classified as c
      where c.change <> 'unchanged'
      union all
      -- A record without a usable id is skipped: nothing can match it with a stored row.
      select
        null, s.ord, null, null, 'skipped',
        case when s.is_object then 'invalid_id' else 'not_an_object' end, false, false, null,
        null, null, null, null, null, null, null
      from staged as s
      where s.model_id is null
    )
    select
      count(*) filter (where c.change = 'unchanged'),
      coalesce(sum(c.record_count - 1), 0)::bigint
    into v_unchanged, v_duplicates
    from classified as c;
    -- Autovacuum never analyzes temporary tables: without statistics the later steps would be
    -- planned for a guessed size (a nested loop over 10k rows planned for 200). Only the columns
    -- they join and filter on (analyzing a wide table's every column costs more than the step),
    -- and only when they have rows to plan for: not in a run that changes and refuses nothing.
    if exists (select 1 from sync_models) then
      analyze sync_models (model_id, ord, change);
    end if;

    -- Step 3, parse and access: the typed columns of every record to write (new, changed or
    -- returning), by the one parser, and the access each gets. Rule-managed models take the first
    -- matching rule's (none: new, no tier flag; private.first_matching_rules, which
    -- apply_model_access_rules uses too). Admin-managed ones keep theirs (back upstream, an
    -- inactive one returns to the status it had). Either way upstream's expiration_date deprecates
    -- an active model and its withdrawal undoes that, unless an admin deprecated the model. The
    -- parsed records are a materialized CTE rather than a table of their own: they are the widest
    -- rows of the run, and a temporary table would write them out and read them back.
    create temporary table sync_writes (
      model_id text not null,
      existing_id bigint,
      change text not null,
      rules_manage boolean not null,
      old_status text,
      old_is_free boolean,
      old_is_pro boolean,
      old_is_enterprise boolean,
      old_sunset_at timestamptz,
      old_deprecated_at timestamptz,
      old_deprecation_source text,
      old_status_before_inactive text,
      old_pricing jsonb,
      like private.parsed_catalog_record,
      price_changed boolean not null,
      rule text,
      new_status text,
      new_is_free boolean,
      new_is_pro boolean,
      new_is_enterprise boolean,
      new_deprecated_at timestamptz,
      new_sunset_at timestamptz,
      new_deprecation_source text
    ) on commit drop;
    insert into sync_writes (
      model_id, existing_id, change, rules_manage, old_status, old_is_free, old_is_pro,
      old_is_enterprise, old_sunset_at, old_deprecated_at, old_deprecation_source,
      old_status_before_inactive, old_pricing, ord, problem, canonical_slug, hugging_face_id,
      model_name, context_length, created_timestamp, modality, input_modalities, output_modalities,
      tokenizer, prompt_price, completion_price, request_price, image_price, web_search_price,
      internal_reasoning_price, input_cache_read_price, input_cache_write_price,
      max_completion_tokens, is_moderated, supported_parameters, expires_at, price_changed, rule,
      new_status, new_is_free, new_is_pro, new_is_enterprise, new_deprecated_at, new_sunset_at,
      new_deprecation_source
    )
    with parsed as materialized (
      select
        s.model_id, s.existing_id, s.change, s.rules_manage, s.old_status, s.old_is_free,
        s.old_is_pro, s.old_is_enterprise, s.old_sunset_at, s.old_deprecated_at,
        s.old_deprecation_source, s.old_status_before_inactive,
        m.openrouter_data -> 'pricing' as old_pricing,
        p.*,
        -- New, or its upstream `pricing` object differs (jsonb equality ignores member order):
        -- the rows model_price_history records.
        s.existing_id is null
          or (m.openrouter_data -> 'pricing') is distinct from (v_models -> s.ord -> 'pricing')
          as price_changed
      from sync_models as s
      join private.parse_catalog_records(
        v_models,
        (
          -- In the payload's order: read at random, a large payload's records cost about a tenth
          -- more to parse.
          select array_agg(t.ord order by t.ord)
          from sync_models as t
          where t.change in ('added', 'updated', 'reactivated')
        )
      ) as p on p.ord = s.ord
      left join public.model_access as m on m.id = s.existing_id
    )
    select
      p.model_id, p.existing_id, p.change, p.rules_manage, p.old_status, p.old_is_free,
      p.old_is_pro, p.old_is_enterprise, p.old_sunset_at, p.old_deprecated_at,
      p.old_deprecation_source, p.old_status_before_inactive, p.old_pricing, p.ord, p.problem,
      p.canonical_slug, p.hugging_face_id, p.model_name, p.context_length, p.created_timestamp,
      p.modality, p.input_modalities, p.output_modalities, p.tokenizer, p.prompt_price,
      p.completion_price, p.request_price, p.image_price, p.web_search_price,
      p.internal_reasoning_price, p.input_cache_read_price, p.input_cache_write_price,
      p.max_completion_tokens, p.is_moderated, p.supported_parameters, p.expires_at, p.price_changed,
      x.rule,
      case
        when p.rules_manage and coalesce(x.status, 'new') = 'active' and p.expires_at is not null
          then 'deprecated'
        when p.rules_manage then coalesce(x.status, 'new')
        when p.old_deprecation_source = 'admin' then b.status
        when b.status = 'active' and p.expires_at is not null then 'deprecated'
        when b.status = 'deprecated' and p.expires_at is null then 'active'
        else b.status
      end as new_status,
      case when p.rules_manage then coalesce(x.is_free, false) else p.old_is_free end
        as new_is_free,
      case when p.rules_manage then coalesce(x.is_pro, false) else p.old_is_pro end
        as new_is_pro,
      case when p.rules_manage then coalesce(x.is_enterprise, false) else p.old_is_enterprise end
        as new_is_enterprise,
      case
        when p.old_deprecation_source = 'admin' then p.old_deprecated_at
        when p.expires_at is null then null
        else coalesce(p.old_deprecated_at, v_started_at)
      end as new_deprecated_at,
      case when p.old_deprecation_source = 'admin' then p.old_sunset_at else p.expires_at end
        as new_sunset_at,
      case
        when p.old_deprecation_source = 'admin' then 'admin'
        when p.expires_at is not null then 'upstream'
      end as new_deprecation_source
    from parsed as p
    cross join lateral (
      select case
        when p.old_status = 'inactive' then coalesce(p.old_status_before_inactive, 'new')
        else p.old_status
      end as status
    ) as b
    left join private.first_matching_rules((
      select array_agg(
        row(
          q.model_id, q.prompt_price, q.completion_price, q.context_length, q.input_modalities,
          q.output_modalities
        )::private.rule_subject
      )
      from parsed as q
      where q.rules_manage and q.problem is null
    )) as x on x.model_id = p.model_id;

    -- A refused record is skipped: its stored row, if any, is left as it is (not updated, and not
    -- taken for missing upstream).
    update sync_models as s
    set change = 'skipped', problem = w.problem
    from sync_writes as w
    where w.model_id = s.model_id
      and w.problem is not null;
    delete from sync_writes as w where w.problem is not null;
    analyze sync_writes (model_id, existing_id, change);

    -- Step 4, offered: what the catalog lists and offers now, and the tiers that each model this
    -- run would write or mark missing is offered in. The gate compares these with the state the
    -- apply writes, through private.tier_models (the one rule of who may use what), so that it
    -- never judges a state by a rule of its own.
    -- Each row says why its model may leave (vanished, or sunset by its expiration_date): the gate
    -- then reads this table alone. Joined with sync_models and sync_writes after the apply, when
    -- the catalog's statistics still describe the state before it, a run in which thousands of
    -- models leave was planned as a scan of those tables per model that left.
    create temporary table sync_offered_before on commit drop as
    select t.tier, t.model_id, c.vanished, c.sunset
    from private.tier_models as t
    join (
      select w.model_id, false as vanished, coalesce(w.new_sunset_at <= now(), false) as sunset
      from sync_writes as w
      where w.existing_id is not null
      union all
      select s.model_id, true, false
      from sync_models as s
      where s.change = 'vanished'
    ) as c on c.model_id = t.model_id;

    select jsonb_build_object(
      'valid', v_unchanged + count(*) filter (where s.change in ('added', 'updated', 'reactivated')),
      -- An unchanged model is a listed one (a returning one is `reactivated`).
      'listed', v_unchanged + count(*) filter (where s.was_listed),
      'visible', (select count(distinct t.model_id) from private.tier_models as t),
      'vanishing', count(*) filter (where s.change = 'vanished')
    )
    into v_gate
    from sync_models as s;

    -- Step 5, apply: write what changed, and nothing else; then the gate judges what was written.
    -- A block of its own so that a refused run and a dry run undo their writes (audit entries and
    -- pending triggers with them): they raise SU001 at the end, caught below. The status and flag
    -- writes are the rules' and the sync's own: the trigger mark_access_admin_managed must not
    -- take them for a decision by hand.
    if (v_gate ->> 'valid')::bigint = 0 then
      v_refusal := 'empty_catalog';
    elsif not exists (select 1 from sync_writes) and (v_gate ->> 'vanishing')::bigint = 0 then
      -- Nothing to write or mark (the daily case): nobody loses or gains a model, and there is no
      -- write to undo.
      v_gate := v_gate || jsonb_build_object(
        'leaving', 0, 'leaving_vanished', 0, 'leaving_sunset', 0, 'leaving_demoted', 0,
        'newly_visible', 0
      );
    else
      begin
        perform set_config('model_access.applying_rules', 'on', true);
        -- The audit trigger records the step's access changes as this run's, and the per-row
        -- triggers (insert audit, catalog version) skip its rows. A dry run has no run: 0 stands in
        -- for it (its writes, audit entries included, are undone). The setting is honoured only in
        -- a transaction marked in private.sync_applying.
        insert into private.sync_applying default values;
        perform set_config('model_access.sync_log_id', coalesce(v_log_id::text, '0'), true);

        -- Listed before (changed or back upstream): the upstream columns and the access, as
        -- parsed. An update and an insert rather than one upsert: an upsert first probes the
        -- unique index for every row, and classify has told new from stored already (an admin
        -- adding one of the new models meanwhile fails the run, which the next run completes).
        update public.model_access as m
        set
          canonical_slug = w.canonical_slug,
          hugging_face_id = w.hugging_face_id,
          model_name = w.model_name,
          -- The description needs no typing: the parser checked it, and the writes take it from
          -- the record rather than carry the widest value through the parsed rows (at 10k
          -- models, that cost a tenth of a cold sync).
          model_description = v_models -> w.ord ->> 'description',
          context_length = w.context_length,
          created_timestamp = w.created_timestamp,
          modality = w.modality,
          input_modalities = w.input_modalities,
          output_modalities = w.output_modalities,
          tokenizer = w.tokenizer,
          prompt_price = w.prompt_price,
          completion_price = w.completion_price,
          request_price = w.request_price,
          image_price = w.image_price,
          web_search_price = w.web_search_price,
          internal_reasoning_price = w.internal_reasoning_price,
          input_cache_read_price = w.input_cache_read_price,
          input_cache_write_price = w.input_cache_write_price,
          max_completion_tokens = w.max_completion_tokens,
          is_moderated = w.is_moderated,
          supported_parameters = w.supported_parameters,
          openrouter_data = v_models -> w.ord,
          status = w.new_status,
          is_free = w.new_is_free,
          is_pro = w.new_is_pro,
          is_enterprise = w.new_is_enterprise,
          deprecated_at = w.new_deprecated_at,
          sunset_at = w.new_sunset_at,
          deprecation_source = w.new_deprecation_source,
          status_before_inactive = null,
          upstream_removed_at = null,
          last_synced_at = v_started_at,
          openrouter_last_seen = v_started_at
        from sync_writes as w
        where w.existing_id is not null
          and m.id = w.existing_id;
        get diagnostics v_rows = row_count;
        v_rows_written := v_rows_written + v_rows;

        insert into public.model_access (
          model_id, canonical_slug, hugging_face_id, model_name, model_description, context_length,
          created_timestamp, modality, input_modalities, output_modalities, tokenizer,
          prompt_price, completion_price, request_price, image_price, web_search_price,
          internal_reasoning_price, input_cache_read_price, input_cache_write_price,
          max_completion_tokens, is_moderated, supported_parameters, openrouter_data,
          last_synced_at, openrouter_last_seen, status, is_free, is_pro, is_enterprise,
          deprecated_at, sunset_at, deprecation_source
        )
        select
          w.model_id, w.canonical_slug, w.hugging_face_id, w.model_name,
          v_models -> w.ord ->> 'description', w.context_length, w.created_timestamp, w.modality,
          w.input_modalities, w.output_modalities, w.tokenizer, w.prompt_price, w.completion_price,
          w.request_price, w.image_price, w.web_search_price, w.internal_reasoning_price,
          w.input_cache_read_price, w.input_cache_write_price, w.max_completion_tokens,
          w.is_moderated, w.supported_parameters, v_models -> w.ord, v_started_at, v_started_at,
          w.new_status, w.new_is_free, w.new_is_pro, w.new_is_enterprise, w.new_deprecated_at,
          w.new_sunset_at, w.new_deprecation_source
        from sync_writes as w
        where w.existing_id is null;
        get diagnostics v_rows = row_count;
        v_rows_written := v_rows_written + v_rows;

        -- Missing upstream: new/active/deprecated become inactive (remembering their status);
        -- disabled stay.
        update public.model_access as m
        set
          status = v.new_status,
          status_before_inactive = case when v.new_status = 'inactive' then m.status end,
          upstream_removed_at = v_started_at,
          last_synced_at = v_started_at,
          openrouter_last_seen = greatest(m.openrouter_last_seen, v_last_completed_sync_at)
        from (
          select
            s.existing_id,
            case when s.old_status in ('new', 'active', 'deprecated') then 'inactive'
              else s.old_status
            end as new_status
          from sync_models as s
          where s.change = 'vanished'
        ) as v
        where m.id = v.existing_id;
        get diagnostics v_rows = row_count;
        v_rows_written := v_rows_written + v_rows;

        perform set_config('model_access.applying_rules', 'off', true);
        perform set_config('model_access.sync_log_id', '', true);
        delete from private.sync_applying as a where a.transaction_id = pg_current_xact_id();

        -- Step 6, gate: what users would lose (models that left a tier they were offered in:
        -- missing upstream, sunset by a past expiration_date, or else demoted by the rules), what
        -- would vanish from the catalog, and what is offered without review (new models the rules
        -- made visible).
        select v_gate || jsonb_build_object(
          'leaving', count(*),
          'leaving_vanished', count(*) filter (where g.vanished),
          'leaving_sunset', count(*) filter (where not g.vanished and g.sunset),
          'leaving_demoted', count(*) filter (where not g.vanished and not g.sunset),
          -- Driven by the new models, each looked up in the catalog by its id: the catalog's
          -- statistics still describe the state before the apply.
          'newly_visible', (
            select count(*)
            from sync_writes as w
            where w.existing_id is null
              and exists (select 1 from private.tier_models as t where t.model_id = w.model_id)
          )
        )
        into v_gate
        from (
          select b.model_id, bool_or(b.vanished) as vanished, bool_or(b.sunset) as sunset
          from sync_offered_before as b
          where not exists (
            select 1 from private.tier_models as t
            where t.tier = b.tier and t.model_id = b.model_id
          )
          group by b.model_id
        ) as g;

        v_refusal := case
          when sync_openrouter_models.force then null
          when (v_gate ->> 'vanishing')::bigint > c_gate_min_models
            and (v_gate ->> 'vanishing')::bigint
              > (v_gate ->> 'listed')::bigint * v_max_inactive_share
            then 'integrity_gate'
          when (v_gate ->> 'leaving')::bigint > c_gate_min_models
            and (v_gate ->> 'leaving')::bigint
              > (v_gate ->> 'visible')::bigint * v_max_inactive_share
            then 'integrity_gate'
          -- Not on a project's first sync, nor on a catalog emptied by hand: the whole catalog is
          -- new, and the rules are its review.
          when v_last_completed_sync_at is not null
            and (v_gate ->> 'listed')::bigint > 0
            and (v_gate ->> 'newly_visible')::bigint > c_gate_min_models
            and (v_gate ->> 'newly_visible')::bigint
              > (v_gate ->> 'valid')::bigint * v_max_new_visible_share
            then 'integrity_gate'
        end;
        if v_refusal is not null or not v_apply then
          raise exception using errcode = 'SU001', message = 'sync: undo the apply';
        end if;

        -- Price history: the written rows whose pricing is new or changed, as stored.
        insert into public.model_price_history (
          model_id, effective_from, sync_log_id, prompt_price, completion_price, request_price,
          image_price, web_search_price, internal_reasoning_price, input_cache_read_price,
          input_cache_write_price, pricing
        )
        select
          w.model_id, v_started_at, v_log_id, w.prompt_price, w.completion_price, w.request_price,
          w.image_price, w.web_search_price, w.internal_reasoning_price, w.input_cache_read_price,
          w.input_cache_write_price, v_models -> w.ord -> 'pricing'
        from sync_writes as w
        where w.price_changed;
      exception when sqlstate 'SU001' then
        v_rows_written := 0;
      end;
    end if;

    -- Step 7, record: the counts per class, the skipped records with their reasons, the digest of
    -- what changed (its webhook too), and the run's row.

    -- What the rules set that differs from the stored access (new models: any rule match).
    create temporary table sync_rule_changes on commit drop as
    select
      w.model_id, w.rule, w.new_status as status, w.new_is_free as is_free,
      w.new_is_pro as is_pro, w.new_is_enterprise as is_enterprise,
      w.existing_id is null as is_new
    from sync_writes as w
    where w.rules_manage and case
      when w.existing_id is null then w.rule is not null
      else (w.old_status, w.old_is_free, w.old_is_pro, w.old_is_enterprise)
        is distinct from (w.new_status, w.new_is_free, w.new_is_pro, w.new_is_enterprise)
    end;

    -- The ids of each class that writes, in order: the digest and the dry run's preview list them.
    -- Built by jsonb_build_object: jsonb_object_agg copies each string of its values by a strlen
    -- that runs to the end of the value, quadratic in a list of 100k ids (seconds).
    select jsonb_build_object(
      'added', coalesce(jsonb_agg(s.model_id order by s.model_id)
        filter (where s.change = 'added'), '[]'::jsonb),
      'updated', coalesce(jsonb_agg(s.model_id order by s.model_id)
        filter (where s.change = 'updated'), '[]'::jsonb),
      'reactivated', coalesce(jsonb_agg(s.model_id order by s.model_id)
        filter (where s.change = 'reactivated'), '[]'::jsonb),
      'vanished', coalesce(jsonb_agg(s.model_id order by s.model_id)
        filter (where s.change = 'vanished'), '[]'::jsonb)
    )
    into v_ids
    from sync_models as s
    where s.change in ('added', 'updated', 'reactivated', 'vanished');

    select jsonb_build_object(
      'total_processed', v_gate -> 'valid',
      'models_added', count(*) filter (where s.change = 'added'),
      'models_updated', count(*) filter (where s.change = 'updated'),
      'models_unchanged', v_unchanged,
      'models_reactivated', count(*) filter (where s.change = 'reactivated'),
      'duplicates_ignored', v_duplicates
    )
    into v_counts
    from sync_models as s;

    with problems as (
      select s.problem, s.model_id, s.ord
      from sync_models as s
      where s.change = 'skipped'
      union all
      select coalesce(k.skipped ->> 'problem', 'refused_by_caller'), k.skipped ->> 'id', null
      from jsonb_array_elements(v_caller_skipped) as k (skipped)
    )
    select v_counts || jsonb_build_object(
      'skipped_invalid', (select count(*) from problems),
      'skipped_reasons', (
        select coalesce(jsonb_object_agg(g.problem, g.n), '{}'::jsonb)
        from (select p.problem, count(*) as n from problems as p group by p.problem) as g
      ),
      'skipped_sample', (
        select coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
          'index', p.ord, 'id', p.model_id, 'problem', p.problem
        ))), '[]'::jsonb)
        from (select * from problems as p order by p.ord nulls last limit 20) as p
      ),
      'sanitized', coalesce(v_caller_sanitized, 0),
      'models_price_changed', (select count(*) from sync_writes as w where w.price_changed),
      'models_access_by_rules', (select count(*) from sync_rule_changes),
      'rows_written', v_rows_written
    )
    into v_counts;

    if v_apply and v_refusal is null and v_rows_written > 0 then
      perform private.record_change_digest(
        v_log_id,
        jsonb_build_object(
          'sync_log_id', v_log_id,
          'synced_at', v_started_at,
          'triggered_by', sync_openrouter_models.triggered_by,
          'added', coalesce(v_ids -> 'added', '[]'::jsonb),
          'inactivated', coalesce(v_ids -> 'vanished', '[]'::jsonb),
          'reactivated', coalesce(v_ids -> 'reactivated', '[]'::jsonb),
          'price_changes', (
            select coalesce(jsonb_agg(
              jsonb_build_object(
                'model_id', w.model_id, 'old', w.old_pricing, 'new', v_models -> w.ord -> 'pricing'
              )
              order by w.model_id
            ), '[]'::jsonb)
            from sync_writes as w
            where w.price_changed and w.existing_id is not null
          ),
          'rule_access_changes', (
            select coalesce(jsonb_agg(
              jsonb_build_object(
                'model_id', r.model_id, 'rule', r.rule, 'status', r.status,
                'is_free', r.is_free, 'is_pro', r.is_pro, 'is_enterprise', r.is_enterprise
              )
              order by r.model_id
            ), '[]'::jsonb)
            from sync_rule_changes as r
            where not r.is_new
          )
        )
      );
    end if;

    if sync_openrouter_models.dry_run then
      select jsonb_build_object(
        'would_refuse', v_refusal,
        'added_ids', coalesce(v_ids -> 'added', '[]'::jsonb),
        'updated_ids', coalesce(v_ids -> 'updated', '[]'::jsonb),
        'reactivated_ids', coalesce(v_ids -> 'reactivated', '[]'::jsonb),
        'marked_inactive_ids', coalesce(v_ids -> 'vanished', '[]'::jsonb),
        'rule_changes', (
          -- What the rules would set: new models a rule matches, and rule-managed models whose
          -- access the rules would change.
          select coalesce(jsonb_agg(
            jsonb_build_object(
              'model_id', r.model_id, 'rule', r.rule, 'new_model', r.is_new,
              'status', r.status, 'is_free', r.is_free, 'is_pro', r.is_pro,
              'is_enterprise', r.is_enterprise
            )
            order by r.model_id
          ), '[]'::jsonb)
          from sync_rule_changes as r
        ),
        'price_changes', (
          -- Every pricing member, as upstream writes it (known or not), old and new.
          select coalesce(jsonb_agg(
            jsonb_build_object(
              'model_id', w.model_id, 'price', p.price, 'old', p.old_value, 'new', p.new_value
            )
            order by w.model_id, p.price
          ), '[]'::jsonb)
          from sync_writes as w
          cross join lateral (
            select coalesce(o.key, n.key) as price, o.value as old_value, n.value as new_value
            from jsonb_each(
              case when jsonb_typeof(w.old_pricing) = 'object' then w.old_pricing
              else '{}'::jsonb end
            ) as o
            full join jsonb_each(
              case when jsonb_typeof(v_models -> w.ord -> 'pricing') = 'object'
                then v_models -> w.ord -> 'pricing' else '{}'::jsonb end
            ) as n on n.key = o.key
            where o.value is distinct from n.value
          ) as p
          where w.change in ('updated', 'reactivated')
        )
      )
      into v_preview;
    end if;

    -- The steps' tables go with the step that made them: a later call in the same transaction,
    -- perhaps by another role, makes its own.
    drop table sync_models, sync_writes, sync_offered_before, sync_rule_changes;
  exception when others or query_canceled then
    -- query_canceled (a statement_timeout, a cancelled request) is not among `others`: caught too,
    -- so that a cancelled run ends failed rather than running.
    if not v_apply then
      raise;
    end if;
    get stacked diagnostics
      v_error_state = returned_sqlstate,
      v_error_message = message_text,
      v_error_context = pg_exception_context;
    update public.model_sync_log as l
    set
      sync_status = 'failed',
      completed_at = clock_timestamp(),
      error_message = v_error_message,
      error_details = jsonb_build_object(
        'error', case when v_error_state = '57014' then 'sync_cancelled' else 'sync_failed' end,
        'sqlstate', v_error_state, 'context', v_error_context
      ),
      duration_ms = private.sync_duration_ms(v_started_at)
    where l.id = v_log_id;
    return jsonb_build_object(
      'success', false,
      'error', case when v_error_state = '57014' then 'sync_cancelled' else 'sync_failed' end,
      'message', v_error_message,
      'sqlstate', v_error_state,
      'dry_run', false,
      'sync_log_id', v_log_id,
      'duration_ms', private.sync_duration_ms(v_started_at)
    );
  end;

  -- The answer, and the run's row: completed, or refused by the gate (failed, catalog untouched).
  v_duration_ms := private.sync_duration_ms(v_started_at);
  v_counts := v_counts || jsonb_build_object(
    'models_listed_before', v_gate -> 'listed',
    'models_listed', v_gate -> 'listed',
    'models_marked_inactive', v_gate -> 'vanishing',
    'models_missing_upstream', v_gate -> 'vanishing',
    'inactive_share', case when (v_gate ->> 'listed')::bigint > 0
      then round((v_gate ->> 'vanishing')::numeric / (v_gate ->> 'listed')::numeric, 4) else 0 end,
    'models_visible_before', v_gate -> 'visible',
    'models_leaving_tiers', jsonb_build_object(
      'total', v_gate -> 'leaving', 'vanished', v_gate -> 'leaving_vanished',
      'sunset', v_gate -> 'leaving_sunset', 'demoted', v_gate -> 'leaving_demoted'
    ),
    'leaving_share', case when (v_gate ->> 'visible')::bigint > 0
      then round((v_gate ->> 'leaving')::numeric / (v_gate ->> 'visible')::numeric, 4) else 0 end,
    'models_newly_visible', v_gate -> 'newly_visible',
    'max_inactive_share', v_max_inactive_share,
    'max_new_visible_share', v_max_new_visible_share
  );

  if v_refusal is not null and v_apply then
    v_message := case v_refusal
      when 'empty_catalog' then
        'refused: the upstream catalog has no valid model; nothing was changed'
      else format(
        'refused by the integrity gate: of the %s models listed, %s would be marked inactive '
        '(share %s); of the %s models offered to users, %s would leave a tier (share %s); %s new '
        'models would be offered without review (of %s); the limits are shares of %s and %s '
        '(of listed, offered and received models) and more than %s models. Nothing was changed. '
        'Re-run with force => true if this is expected.',
        v_gate ->> 'listed', v_gate ->> 'vanishing', v_counts ->> 'inactive_share',
        v_gate ->> 'visible', v_gate ->> 'leaving', v_counts ->> 'leaving_share',
        v_gate ->> 'newly_visible', v_gate ->> 'valid', v_max_inactive_share,
        v_max_new_visible_share, c_gate_min_models
      )
    end;
  end if;

  if v_apply then
    update public.model_sync_log as l
    set
      sync_status = case when v_refusal is null then 'completed' else 'failed' end,
      completed_at = clock_timestamp(),
      total_processed = (v_counts ->> 'total_processed')::integer,
      models_added = case when v_refusal is null then (v_counts ->> 'models_added')::integer end,
      models_updated =
        case when v_refusal is null then (v_counts ->> 'models_updated')::integer end,
      models_unchanged =
        case when v_refusal is null then (v_counts ->> 'models_unchanged')::integer end,
      models_reactivated =
        case when v_refusal is null then (v_counts ->> 'models_reactivated')::integer end,
      models_marked_inactive =
        case when v_refusal is null then (v_gate ->> 'vanishing')::integer end,
      models_price_changed =
        case when v_refusal is null then (v_counts ->> 'models_price_changed')::integer end,
      models_leaving_tiers = (v_gate ->> 'leaving')::integer,
      models_newly_visible = (v_gate ->> 'newly_visible')::integer,
      skipped_invalid = (v_counts ->> 'skipped_invalid')::integer,
      skipped_reasons = v_counts -> 'skipped_reasons',
      sanitized_records = (v_counts ->> 'sanitized')::integer,
      duplicates_ignored = (v_counts ->> 'duplicates_ignored')::integer,
      error_message = case when v_refusal is not null then v_refusal || ': ' || v_message end,
      error_details = case when v_refusal is not null then
        jsonb_build_object('error', v_refusal) || (v_counts - array[
          'models_added', 'models_updated', 'models_unchanged', 'models_reactivated',
          'models_price_changed', 'models_access_by_rules', 'rows_written'
        ])
      end,
      duration_ms = v_duration_ms
    where l.id = v_log_id;
  end if;

  if v_refusal is not null and v_apply then
    return jsonb_build_object(
      'success', false,
      'error', v_refusal,
      'message', v_message,
      'dry_run', false,
      'sync_log_id', v_log_id,
      'triggered_by', sync_openrouter_models.triggered_by,
      'forced', v_forced,
      'total_received', jsonb_array_length(v_models),
      'duration_ms', v_duration_ms
    ) || (v_counts - array[
      'models_added', 'models_updated', 'models_unchanged', 'models_reactivated',
      'models_marked_inactive', 'models_price_changed', 'models_access_by_rules', 'rows_written'
    ]);
  end if;

  return jsonb_build_object(
    'success', true,
    'dry_run', sync_openrouter_models.dry_run,
    'sync_log_id', v_log_id,
    'triggered_by', sync_openrouter_models.triggered_by,
    'forced', v_forced,
    'overrides', v_overrides,
    'total_received', jsonb_array_length(v_models),
    'duration_ms', v_duration_ms
  ) || v_counts || coalesce(v_preview, '{}'::jsonb);
end;
$$;

comment on function private.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint, numeric) is
  'Applies an OpenRouter catalog (the `data` array of GET /api/v1/models) to model_access in named '
  'steps (stage, classify, parse and access, offered, apply, gate, record): adds new models, '
  'rewrites only rows whose upstream data changed, marks models missing upstream inactive and '
  'restores returning ones. Records refused by private.parse_catalog_records are skipped and '
  'counted with their reason; their stored rows stay as they are. Applies model_access_rules to '
  'new and changed rule-managed models; never changes the access of admin-managed ones, except '
  'that an upstream expiration_date deprecates an active model. The integrity gate refuses an '
  'empty catalog, and, unless force, a run in which more than max_inactive_share (standard 0.2) '
  'of the listed models would vanish or of the offered models would leave a tier (vanished, sunset '
  'by a past expiration_date, demoted by rules; judged by private.tier_models on the written state, '
  'undone when refused), or more than max_new_visible_share (0.2) of the '
  'received models would be new and offered without review (not on a first sync, nor into an '
  'empty catalog); each also needs '
  'more than ten models. Any override is recorded on the run (forced, overrides, forced_by). '
  'dry_run => true leaves nothing written (its writes are undone; no log row) and returns the ids and price changes. Any error '
  'after the run began ends it failed. Serialized by an advisory lock. sync_log_id completes a run '
  'begun by begin_sync_run. Admins and the service role only.';

revoke execute on function private.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint, numeric)
  from public, anon, authenticated, service_role;
grant execute on function private.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint, numeric)
  to authenticated, service_role;

-- The Data API entry point. Invoker: the definer function checks who calls.
create function public.sync_openrouter_models(
  models_data jsonb,
  triggered_by text default 'manual',
  force boolean default false,
  dry_run boolean default false,
  max_inactive_share numeric default null,
  sync_log_id bigint default null,
  max_new_visible_share numeric default null
)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.sync_openrouter_models(
    sync_openrouter_models.models_data,
    sync_openrouter_models.triggered_by,
    sync_openrouter_models.force,
    sync_openrouter_models.dry_run,
    sync_openrouter_models.max_inactive_share,
    sync_openrouter_models.sync_log_id,
    sync_openrouter_models.max_new_visible_share
  );
$$;

comment on function public.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint, numeric) is
  'Applies an OpenRouter catalog to model_access and records the run (private.sync_openrouter_models '
  'describes it). Admins and the service role only.';

revoke execute on function public.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint, numeric)
  from public, anon, authenticated, service_role;
grant execute on function public.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint, numeric)
  to authenticated, service_role;

create function private.log_sync_failure(
  triggered_by text,
  error_message text,
  error_details jsonb default null,
  sync_log_id bigint default null
)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_log_id bigint;
begin
  perform private.check_sync_caller(
    'log_sync_failure', 'log sync failures', log_sync_failure.triggered_by
  );

  -- A run begun by begin_sync_run fails in place; otherwise the failure gets a row of its own.
  update public.model_sync_log as l
  set
    sync_status = 'failed',
    completed_at = clock_timestamp(),
    error_message = coalesce(nullif(btrim(log_sync_failure.error_message), ''), 'unknown error'),
    error_details = log_sync_failure.error_details,
    duration_ms = private.sync_duration_ms(l.started_at)
  where l.id = log_sync_failure.sync_log_id
    and l.sync_status = 'running'
  returning l.id into v_log_id;
  if v_log_id is not null then
    return v_log_id;
  end if;

  insert into public.model_sync_log (
    started_at, completed_at, sync_status, triggered_by, triggered_by_user_id, error_message,
    error_details, duration_ms
  )
  values (
    clock_timestamp(),
    clock_timestamp(),
    'failed',
    log_sync_failure.triggered_by,
    (select auth.uid()),
    coalesce(nullif(btrim(log_sync_failure.error_message), ''), 'unknown error'),
    log_sync_failure.error_details,
    0
  )
  returning id into v_log_id;
  return v_log_id;
end;
$$;

comment on function private.log_sync_failure(text, text, jsonb, bigint) is
  'Records a failed sync attempt that never reached sync_openrouter_models (e.g. the upstream fetch '
  'failed): fails the run sync_log_id in place when given and still running, else adds a failed '
  'row; returns the model_sync_log id. Admins and the service role only.';

revoke execute on function private.log_sync_failure(text, text, jsonb, bigint)
  from public, anon, authenticated, service_role;
grant execute on function private.log_sync_failure(text, text, jsonb, bigint) to authenticated, service_role;

-- The Data API entry point. Invoker: the definer function checks who calls.
create function public.log_sync_failure(
  triggered_by text,
  error_message text,
  error_details jsonb default null,
  sync_log_id bigint default null
)
returns bigint
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.log_sync_failure(
    log_sync_failure.triggered_by,
    log_sync_failure.error_message,
    log_sync_failure.error_details,
    log_sync_failure.sync_log_id
  );
$$;

comment on function public.log_sync_failure(text, text, jsonb, bigint) is
  'Records a failed sync attempt (private.log_sync_failure describes it); returns the '
  'model_sync_log id. Admins and the service role only.';

revoke execute on function public.log_sync_failure(text, text, jsonb, bigint)
  from public, anon, authenticated, service_role;
grant execute on function public.log_sync_failure(text, text, jsonb, bigint) to authenticated, service_role;

-- The catalog version follows the sync's writes, once, at the commit of a run that changed rows:
-- the rows the sync writes queue no event of their own (bump_catalog_version on model_access).
create constraint trigger bump_catalog_version_after_sync
  after update of sync_status on public.model_sync_log
  deferrable initially deferred
  for each row
  when (
    new.sync_status = 'completed'
    and coalesce(new.models_added, 0) + coalesce(new.models_updated, 0)
      + coalesce(new.models_reactivated, 0) + coalesce(new.models_marked_inactive, 0) > 0
  )
  execute function private.bump_catalog_version();

-- Begun before the catalog is fetched and committed on its own, so that a run that dies later
-- (the function killed at its wall-clock limit, a lost connection) still leaves a row; the next
-- run marks such rows failed as stale. It also owns the cool-down between manual syncs: checked
-- and taken in one locked step, so that of two runs begun together within it only one starts.
create function private.begin_sync_run(
  triggered_by text,
  stale_after interval default interval '15 minutes',
  cooldown_seconds integer default 0
)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_log_id bigint;
  v_last_run_age numeric;
begin
  perform private.check_sync_caller(
    'begin_sync_run', 'sync the model catalog', begin_sync_run.triggered_by
  );
  if begin_sync_run.cooldown_seconds is null or begin_sync_run.cooldown_seconds < 0 then
    raise exception using
      errcode = '22023',
      message = 'begin_sync_run: cooldown_seconds must be 0 or more';
  end if;

  -- Begins queue here until the one before commits: the cool-down below sees every run begun (each
  -- statement of a read committed transaction, as the functions run it, reads after the lock).
  perform pg_advisory_xact_lock(hashtextextended('public.begin_sync_run', 0));

  -- The cool-down: counted from the start of the last run by the same trigger (an admin's manual
  -- syncs, whatever became of them). PT429 is PostgREST's way of saying HTTP 429.
  select extract(epoch from clock_timestamp() - max(l.started_at))
  into v_last_run_age
  from public.model_sync_log as l
  where l.triggered_by = begin_sync_run.triggered_by;
  if v_last_run_age < begin_sync_run.cooldown_seconds then
    raise exception using
      errcode = 'PT429',
      message = format(
        'begin_sync_run: a %s sync started %s s ago; the cool-down is %s s',
        begin_sync_run.triggered_by, floor(v_last_run_age), begin_sync_run.cooldown_seconds
      ),
      detail = jsonb_build_object(
        'retry_after_seconds',
          greatest(1, ceil(begin_sync_run.cooldown_seconds - v_last_run_age))::integer,
        'last_run_seconds_ago', floor(v_last_run_age)::integer
      )::text;
  end if;

  -- A run still inside the sync (which holds its row) is waited for here; the sync's statement
  -- timeout (80 s in the functions) is far below stale_after.
  update public.model_sync_log as l
  set
    sync_status = 'failed',
    completed_at = clock_timestamp(),
    error_message = format(
      'stale: still running after %s; the run was lost (crash, timeout or lost connection)',
      begin_sync_run.stale_after
    ),
    error_details = jsonb_build_object('error', 'stale', 'stale_after', begin_sync_run.stale_after::text)
  where l.sync_status = 'running'
    and l.started_at < clock_timestamp() - begin_sync_run.stale_after;

  insert into public.model_sync_log (started_at, triggered_by, triggered_by_user_id)
  values (clock_timestamp(), begin_sync_run.triggered_by, (select auth.uid()))
  returning id into v_log_id;
  return v_log_id;
end;
$$;

comment on function private.begin_sync_run(text, interval, integer) is
  'Starts a sync run: marks runs still `running` after stale_after as failed (stale), adds a '
  '`running` row and returns its id, to pass to sync_openrouter_models(sync_log_id => ...) or '
  'log_sync_failure. With cooldown_seconds > 0 it refuses (SQLSTATE PT429; DETAIL holds '
  'retry_after_seconds and last_run_seconds_ago as JSON) while the last run by the same trigger '
  'started less than that ago; begins are serialized, so the check and the new row are one step. '
  'Call it in its own transaction. Admins and the service role only.';

revoke execute on function private.begin_sync_run(text, interval, integer)
  from public, anon, authenticated, service_role;
grant execute on function private.begin_sync_run(text, interval, integer)
  to authenticated, service_role;

-- The Data API entry point. Invoker: the definer function checks who calls.
create function public.begin_sync_run(
  triggered_by text,
  stale_after interval default interval '15 minutes',
  cooldown_seconds integer default 0
)
returns bigint
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.begin_sync_run(
    begin_sync_run.triggered_by, begin_sync_run.stale_after, begin_sync_run.cooldown_seconds
  );
$$;

comment on function public.begin_sync_run(text, interval, integer) is
  'Starts a sync run and returns its model_sync_log id; with cooldown_seconds, refuses (PT429, '
  'HTTP 429 through the Data API) a run within the cool-down of the last one by the same trigger '
  '(private.begin_sync_run describes it). Call it in its own transaction. Admins and the service '
  'role only.';

revoke execute on function public.begin_sync_run(text, interval, integer)
  from public, anon, authenticated, service_role;
grant execute on function public.begin_sync_run(text, interval, integer)
  to authenticated, service_role;
