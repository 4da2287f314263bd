-- public.sync_openrouter_models, public.begin_sync_run and public.log_sync_failure: apply an
-- OpenRouter catalog (GET /api/v1/models `data` array) to public.model_access and record the run
-- in public.model_sync_log, with its price changes (model_price_history), the tiering rules
-- applied to new and changed models (model_access_rules), upstream deprecations, and a change
-- digest (model_change_digests).
--
-- Why: the catalog must follow upstream without ever losing admin decisions or rewriting rows for
-- nothing. The sync is one set-based statement (parse, compare, upsert what changed, mark what
-- vanished) so that it scales to large catalogs and a run with no upstream change writes no
-- catalog row. An integrity gate refuses empty or suspiciously truncated catalogs, and every
-- failure leaves a `failed` log row. The sync runs in security definer functions in `private`,
-- behind public entry points of the same names: the sync log and the price history are written
-- by nobody else, so no API role may write them. Each first checks that the request comes from an
-- admin, the service role or an operator; anybody else gets a permission error.

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
end;
$$;

comment on function private.check_sync_caller(text, text, text) is
  'Raises 42501 unless the caller is an admin or the service role (or an operator), and 22023 '
  'unless triggered_by is cron, admin or manual. Called first by the sync entry points.';

revoke execute on function private.check_sync_caller(text, text, text)
  from public, anon, authenticated, service_role;
grant execute on function private.check_sync_caller(text, text, text) to authenticated, service_role;

create function private.sync_openrouter_models(
  models_data jsonb,
  triggered_by text default 'manual',
  force boolean default false,
  dry_run boolean default false,
  max_inactive_share numeric default 0.2,
  sync_log_id bigint default null
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
-- Planner settings, for catalogs of tens of thousands of models:
-- * generic plans: a custom plan folds the payload into the plan as a constant and copies it
--   each time the planner copies an expression, which makes planning slow for a large payload;
-- * no nested loops or merge joins: row estimates for model_access can be far off (e.g. right
--   after a large first sync, before autovacuum analyzes it) and the planner may then rescan the
--   table for every upstream record, which is quadratic. Hash joins are linear whatever the
--   estimates, and cost microseconds on a small catalog.
-- * no JIT: compiling this statement costs far more than running it.
set plan_cache_mode = force_generic_plan
set enable_nestloop = off
set enable_mergejoin = off
set jit = off
-- * work_mem: the CTEs hold the payload's records; at the default 4 MB they spill to temporary
--   files.
set work_mem = '64MB'
as $$
declare
  v_started_at timestamptz := clock_timestamp();
  v_models jsonb;
  v_apply boolean := not sync_openrouter_models.dry_run;
  v_log_id bigint;
  v_last_completed_sync_at timestamptz;
  v_outcome jsonb;
  v_refusal text;
  v_message text;
  v_duration_ms numeric;
  v_error_state text;
  v_error_message text;
  v_error_context text;
  -- A decimal number as OpenRouter writes prices ("0.0000000799999993", "-1", "1e-7"); the exponent
  -- is bounded so that a hostile value cannot overflow numeric and fail the run.
  v_number constant text := '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$';
begin
  perform private.check_sync_caller(
    'sync_openrouter_models', 'sync the model catalog', sync_openrouter_models.triggered_by
  );
  if sync_openrouter_models.max_inactive_share is null
    or sync_openrouter_models.max_inactive_share not between 0 and 1 then
    raise exception using
      errcode = '22023',
      message = 'sync_openrouter_models: max_inactive_share must be between 0 and 1';
  end if;

  -- Concurrent syncs queue here; the lock is released at the end of the caller's transaction.
  perform pg_advisory_xact_lock(hashtextextended('public.sync_openrouter_models', 0));

  -- The `data` array itself, or the whole response object holding it.
  -- `#> '{}'` hands back the whole array detoasted: the statement below reads it by position,
  -- which must not decompress a stored (toasted) argument again for every record.
  v_models := case jsonb_typeof(sync_openrouter_models.models_data)
    when 'array' then sync_openrouter_models.models_data #> '{}'
    when 'object' then sync_openrouter_models.models_data -> 'data'
  end;

  if v_apply and sync_openrouter_models.sync_log_id is not null then
    -- The run was begun (begin_sync_run) before the catalog was fetched: complete that row.
    update public.model_sync_log as l
    set
      forced = sync_openrouter_models.force,
      total_openrouter_models =
        case when jsonb_typeof(v_models) = 'array' then jsonb_array_length(v_models) end
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
      started_at, triggered_by, triggered_by_user_id, forced, total_openrouter_models
    )
    values (
      v_started_at,
      sync_openrouter_models.triggered_by,
      (select auth.uid()),
      sync_openrouter_models.force,
      case when jsonb_typeof(v_models) = 'array' then jsonb_array_length(v_models) end
    )
    returning id into v_log_id;
  end if;

  if v_models is null or jsonb_typeof(v_models) <> 'array' then
    v_message := 'models_data must be the upstream `data` array (or an object holding it)';
    v_duration_ms := round(extract(epoch from clock_timestamp() - v_started_at) * 1000, 3);
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
        duration_ms = v_duration_ms
      where l.id = v_log_id;
    end if;
    return jsonb_build_object(
      'success', false,
      'error', 'invalid_payload',
      'message', v_message,
      'dry_run', sync_openrouter_models.dry_run,
      'sync_log_id', v_log_id,
      'duration_ms', v_duration_ms
    );
  end if;

  begin
    select max(l.started_at)
    into v_last_completed_sync_at
    from public.model_sync_log as l
    where l.sync_status = 'completed';

    -- The statement's status and flag writes are the rules' and the sync's own: the trigger
    -- mark_access_admin_managed must not take them for a decision by hand.
    perform set_config('model_access.applying_rules', 'on', true);
    -- The audit trigger records the statement's access changes as this run's.
    perform set_config('model_access.sync_log_id', coalesce(v_log_id::text, ''), true);

    -- Each record is extracted once, by position (generate_series and `->`: jsonb_array_elements
    -- would materialize the records once more). Duplicate ids are settled by hash aggregation.
    with
    records as materialized (
      -- Every record with its position and its id (null unless a non-blank string).
      select
        r.ord,
        r.rec,
        case
          when jsonb_typeof(r.rec -> 'id') = 'string' and btrim(r.rec ->> 'id') <> ''
            then r.rec ->> 'id'
        end as model_id
      from (
        -- offset 0 keeps each record extracted once rather than once per use.
        select g.ord, v_models -> g.ord as rec
        from generate_series(0, jsonb_array_length(v_models) - 1) as g (ord)
        offset 0
      ) as r
    ),
    winners as materialized (
      -- id -> position of its last record (duplicate ids in one payload: the last one wins),
      -- and how many records had that id; one row (model_id null) counts the invalid records.
      select r.model_id, max(r.ord) as ord, count(*) as record_count
      from records as r
      group by r.model_id
    ),
    incoming as not materialized (
      select r.model_id, r.ord, r.rec
      from records as r
      join winners as w on w.model_id = r.model_id and w.ord = r.ord
    ),
    compared as materialized (
      -- Change detection compares the upstream record, ignoring the order of the unordered
      -- arrays (a reordered list upstream is no change); typed columns derive from it. The record
      -- is kept only for rows that will be written.
      select
        x.model_id,
        x.existing_id,
        x.was_removed,
        x.changed,
        -- New, or its upstream `pricing` object differs (jsonb equality ignores member order):
        -- the rows model_price_history records.
        case
          when x.existing_id is null then true
          when x.changed then (x.old_data -> 'pricing') is distinct from (x.rec -> 'pricing')
          else false
        end as price_changed,
        case when x.changed then x.old_data -> 'pricing' end as old_pricing,
        x.rules_manage,
        x.old_status,
        x.old_is_free,
        x.old_is_pro,
        x.old_is_enterprise,
        -- Rows to write carry the record's position, not the record: the CTEs stay small.
        x.existing_id is null or x.was_removed or x.changed as to_write,
        x.ord
      from (
        select
          y.*,
          y.old_data is not null
            and (
              (
                y.old_data #- '{architecture,input_modalities}'
                  #- '{architecture,output_modalities}' #- '{supported_parameters}'
              ) is distinct from (
                y.rec #- '{architecture,input_modalities}'
                  #- '{architecture,output_modalities}' #- '{supported_parameters}'
              )
              or not coalesce(
                y.old_data #> '{architecture,input_modalities}'
                  @> (y.rec #> '{architecture,input_modalities}')
                and y.old_data #> '{architecture,input_modalities}'
                  <@ (y.rec #> '{architecture,input_modalities}'),
                (y.old_data #> '{architecture,input_modalities}')
                  is not distinct from (y.rec #> '{architecture,input_modalities}')
              )
              or not coalesce(
                y.old_data #> '{architecture,output_modalities}'
                  @> (y.rec #> '{architecture,output_modalities}')
                and y.old_data #> '{architecture,output_modalities}'
                  <@ (y.rec #> '{architecture,output_modalities}'),
                (y.old_data #> '{architecture,output_modalities}')
                  is not distinct from (y.rec #> '{architecture,output_modalities}')
              )
              or not coalesce(
                y.old_data -> 'supported_parameters' @> (y.rec -> 'supported_parameters')
                and y.old_data -> 'supported_parameters' <@ (y.rec -> 'supported_parameters'),
                (y.old_data -> 'supported_parameters')
                  is not distinct from (y.rec -> 'supported_parameters')
              )
            ) as changed
        from (
          select
            i.model_id,
            i.ord,
            i.rec,
            m.id as existing_id,
            coalesce(m.access_managed_by = 'rules', true) as rules_manage,
            m.status as old_status,
            m.is_free as old_is_free,
            m.is_pro as old_is_pro,
            m.is_enterprise as old_is_enterprise,
            coalesce(m.upstream_removed_at is not null, false) as was_removed,
            -- The stored record, used only when its hash differs from the upstream record's
            -- (equal jsonb values hash alike): an unchanged row is never detoasted nor compared.
            case when m.openrouter_data_hash <> jsonb_hash_extended(i.rec, 0) then m.openrouter_data
            end as old_data
          from incoming as i
          left join public.model_access as m on m.model_id = i.model_id
          -- offset 0: the hash is computed once per row, not once per use of old_data above.
          offset 0
        ) as y
      ) as x
    ),
    vanishing as materialized (
      select m.id, m.model_id
      from public.model_access as m
      where m.upstream_removed_at is null
        and not exists (select 1 from winners as w where w.model_id = m.model_id)
    ),
    gate as materialized (
      select
        (select count(w.model_id) from winners as w) as valid_count,
        (
          select coalesce(sum(w.record_count) filter (where w.model_id is null), 0)
          from winners as w
        ) as invalid_count,
        (select coalesce(sum(w.record_count) filter (where w.model_id is not null), 0)
          - count(w.model_id) from winners as w) as duplicate_count,
        (select count(*) from public.model_access as m where m.upstream_removed_at is null)
          as listed_count,
        (select count(*) from vanishing) as vanishing_count,
        (select count(*) from compared as c where c.to_write) as write_count
    ),
    decision as (
      select
        g.*,
        case
          when g.valid_count = 0 then 'empty_catalog'
          -- A share of a handful of models says nothing about truncation: a new project lists
          -- only its three seeded models, one of which may be gone upstream. The gate needs
          -- more than ten vanishing models as well as more than the share.
          when not sync_openrouter_models.force
            and g.vanishing_count > g.listed_count * sync_openrouter_models.max_inactive_share
            and g.vanishing_count > 10
            then 'integrity_gate'
        end as refusal
      from gate as g
    ),
    parsed as materialized (
      -- The typed columns of every row to write (new, changed or returning); rules match on them.
      select
        c.model_id,
        c.existing_id,
        c.rules_manage,
        c.old_status,
        c.old_is_free,
        c.old_is_pro,
        c.old_is_enterprise,
        c.price_changed,
        c.old_pricing,
        nullif(e.rec ->> 'canonical_slug', '') as canonical_slug,
        nullif(e.rec ->> 'hugging_face_id', '') as hugging_face_id,
        e.rec ->> 'name' as model_name,
        e.rec ->> 'description' as model_description,
        case when f.context_length ~ '^\s*[0-9]{1,9}\s*$' then f.context_length::integer end
          as context_length,
        case when f.created ~ '^\s*-?[0-9]{1,18}\s*$' then f.created::bigint end
          as created_timestamp,
        f.architecture ->> 'modality' as modality,
        case when jsonb_typeof(f.architecture -> 'input_modalities') = 'array' then
          array(select jsonb_array_elements_text(f.architecture -> 'input_modalities'))
        end as input_modalities,
        case when jsonb_typeof(f.architecture -> 'output_modalities') = 'array' then
          array(select jsonb_array_elements_text(f.architecture -> 'output_modalities'))
        end as output_modalities,
        f.architecture ->> 'tokenizer' as tokenizer,
        case when f.prompt ~ v_number then f.prompt::numeric end as prompt_price,
        case when f.completion ~ v_number then f.completion::numeric end as completion_price,
        case when f.request ~ v_number then f.request::numeric end as request_price,
        case when f.image ~ v_number then f.image::numeric end as image_price,
        case when f.web_search ~ v_number then f.web_search::numeric end as web_search_price,
        case when f.internal_reasoning ~ v_number then f.internal_reasoning::numeric end
          as internal_reasoning_price,
        case when f.input_cache_read ~ v_number then f.input_cache_read::numeric end
          as input_cache_read_price,
        case when f.input_cache_write ~ v_number then f.input_cache_write::numeric end
          as input_cache_write_price,
        case when f.max_completion_tokens ~ '^\s*[0-9]{1,9}\s*$' then
          f.max_completion_tokens::integer
        end as max_completion_tokens,
        case f.is_moderated
          when 'true'::jsonb then true
          when 'false'::jsonb then false
        end as is_moderated,
        case when jsonb_typeof(e.rec -> 'supported_parameters') = 'array' then
          array(select jsonb_array_elements_text(e.rec -> 'supported_parameters'))
        end as supported_parameters,
        -- Upstream's announced retirement (expiration_date, a date or an ISO timestamp: its day
        -- counts, at 00:00 UTC); an impossible date is ignored, never an error.
        case when f.expiration is not null and substr(f.expiration, 6, 2) between '01' and '12' then
          case when substr(f.expiration, 9, 2) between '01' and to_char(
            make_date(substr(f.expiration, 1, 4)::integer, substr(f.expiration, 6, 2)::integer, 1)
              + interval '1 month - 1 day',
            'DD'
          ) then (f.expiration || ' 00:00:00+00')::timestamptz end
        end as expires_at,
        f.pricing,
        c.ord
      from compared as c
      -- The record, extracted from the payload once more (cheaper than carrying it this far).
      cross join lateral (select v_models -> c.ord as rec offset 0) as e
      cross join lateral (
        -- offset 0 (twice): each member is extracted once per record, not once per use.
        select
          o.pricing,
          o.architecture,
          coalesce(e.rec ->> 'context_length', o.top_provider ->> 'context_length')
            as context_length,
          e.rec ->> 'created' as created,
          o.pricing ->> 'prompt' as prompt,
          o.pricing ->> 'completion' as completion,
          o.pricing ->> 'request' as request,
          o.pricing ->> 'image' as image,
          o.pricing ->> 'web_search' as web_search,
          o.pricing ->> 'internal_reasoning' as internal_reasoning,
          o.pricing ->> 'input_cache_read' as input_cache_read,
          o.pricing ->> 'input_cache_write' as input_cache_write,
          o.top_provider ->> 'max_completion_tokens' as max_completion_tokens,
          o.top_provider -> 'is_moderated' as is_moderated,
          substring(e.rec ->> 'expiration_date' from '^\s*([1-9][0-9]{3}-[0-9]{2}-[0-9]{2})')
            as expiration
        from (
          select
            e.rec -> 'pricing' as pricing,
            e.rec -> 'top_provider' as top_provider,
            e.rec -> 'architecture' as architecture
          offset 0
        ) as o
        offset 0
      ) as f
      where c.to_write
    ),
    ruled as materialized (
      -- Access from the first matching rule (none: new, no tier flag) for the rows to write that
      -- the rules manage: new models and rule-managed ones (private.first_matching_rules, which
      -- apply_model_access_rules uses too).
      select
        p.model_id,
        x.rule,
        -- An active model whose retirement upstream announced is deprecated until then.
        case
          when coalesce(x.status, 'new') = 'active' and p.expires_at is not null then 'deprecated'
          else coalesce(x.status, 'new')
        end as status,
        coalesce(x.is_free, false) as is_free,
        coalesce(x.is_pro, false) as is_pro,
        coalesce(x.is_enterprise, false) as is_enterprise
      from parsed as p
      left join private.first_matching_rules((
        select array_agg(
          row(
            q.model_id, q.prompt_price, q.completion_price, q.context_length, q.input_modalities,
            q.output_modalities
          )::private.rule_subject
        )
        from parsed as q
        where q.rules_manage
      )) as x on x.model_id = p.model_id
      where p.rules_manage
    ),
    rule_changes as materialized (
      -- What the rules set that differs from the stored access (new models: any rule match).
      select
        u.model_id, u.rule, u.status, u.is_free, u.is_pro, u.is_enterprise,
        p.existing_id is null as is_new
      from ruled as u
      join parsed as p on p.model_id = u.model_id
      where case
        when p.existing_id is null then u.rule is not null
        else (p.old_status, p.old_is_free, p.old_is_pro, p.old_is_enterprise)
          is distinct from (u.status, u.is_free, u.is_pro, u.is_enterprise)
      end
    ),
    upserted as (
      insert into public.model_access as m (
        model_id, canonical_slug, hugging_face_id, model_name, model_description, context_length,
        created_timestamp, modality, input_modalities, output_modalities, tokenizer,
        prompt_price, completion_price, request_price, image_price, web_search_price,
        internal_reasoning_price, input_cache_read_price, input_cache_write_price,
        max_completion_tokens, is_moderated, supported_parameters, openrouter_data,
        last_synced_at, openrouter_last_seen, status, is_free, is_pro, is_enterprise,
        deprecated_at, sunset_at, deprecation_source
      )
      select
        p.model_id, p.canonical_slug, p.hugging_face_id, p.model_name, p.model_description,
        p.context_length, p.created_timestamp, p.modality, p.input_modalities,
        p.output_modalities, p.tokenizer, p.prompt_price, p.completion_price, p.request_price,
        p.image_price, p.web_search_price, p.internal_reasoning_price, p.input_cache_read_price,
        p.input_cache_write_price, p.max_completion_tokens, p.is_moderated,
        p.supported_parameters, v_models -> p.ord, v_started_at, v_started_at,
        coalesce(u.status, 'new'), coalesce(u.is_free, false), coalesce(u.is_pro, false),
        coalesce(u.is_enterprise, false),
        case when p.expires_at is not null then v_started_at end,
        p.expires_at,
        case when p.expires_at is not null then 'upstream' end
      from parsed as p
      left join ruled as u on u.model_id = p.model_id
      -- One-time condition: with nothing to write, nothing is read.
      where (select v_apply and d.refusal is null and d.write_count > 0 from decision as d)
      on conflict (model_id) do update
      set
        canonical_slug = excluded.canonical_slug,
        hugging_face_id = excluded.hugging_face_id,
        model_name = excluded.model_name,
        model_description = excluded.model_description,
        context_length = excluded.context_length,
        created_timestamp = excluded.created_timestamp,
        modality = excluded.modality,
        input_modalities = excluded.input_modalities,
        output_modalities = excluded.output_modalities,
        tokenizer = excluded.tokenizer,
        prompt_price = excluded.prompt_price,
        completion_price = excluded.completion_price,
        request_price = excluded.request_price,
        image_price = excluded.image_price,
        web_search_price = excluded.web_search_price,
        internal_reasoning_price = excluded.internal_reasoning_price,
        input_cache_read_price = excluded.input_cache_read_price,
        input_cache_write_price = excluded.input_cache_write_price,
        max_completion_tokens = excluded.max_completion_tokens,
        is_moderated = excluded.is_moderated,
        supported_parameters = excluded.supported_parameters,
        openrouter_data = excluded.openrouter_data,
        -- Rule-managed models take the rules' access (excluded.*, deprecated when upstream
        -- announces an expiration_date). Admin-managed ones keep theirs (back upstream, an
        -- inactive one returns to the status it had), except that upstream's expiration_date
        -- deprecates an active model, and its withdrawal undoes that, unless an admin deprecated
        -- the model (deprecation_source admin).
        status = case
          when m.access_managed_by = 'rules' then excluded.status
          else (
            select case
              when m.deprecation_source = 'admin' then s.status
              when s.status = 'active' and excluded.sunset_at is not null then 'deprecated'
              when s.status = 'deprecated' and excluded.sunset_at is null then 'active'
              else s.status
            end
            from (
              select case
                when m.status = 'inactive' then coalesce(m.status_before_inactive, 'new')
                else m.status
              end as status
            ) as s
          )
        end,
        deprecated_at = case
          when m.deprecation_source = 'admin' then m.deprecated_at
          when excluded.sunset_at is null then null
          else coalesce(m.deprecated_at, excluded.deprecated_at)
        end,
        sunset_at = case
          when m.deprecation_source = 'admin' then m.sunset_at else excluded.sunset_at
        end,
        deprecation_source = case
          when m.deprecation_source = 'admin' then 'admin' else excluded.deprecation_source
        end,
        is_free = case when m.access_managed_by = 'rules' then excluded.is_free else m.is_free end,
        is_pro = case when m.access_managed_by = 'rules' then excluded.is_pro else m.is_pro end,
        is_enterprise = case
          when m.access_managed_by = 'rules' then excluded.is_enterprise else m.is_enterprise
        end,
        status_before_inactive = null,
        upstream_removed_at = null,
        last_synced_at = excluded.last_synced_at,
        openrouter_last_seen = excluded.openrouter_last_seen
      returning
        m.id, m.model_id, m.prompt_price, m.completion_price, m.request_price, m.image_price,
        m.web_search_price, m.internal_reasoning_price, m.input_cache_read_price,
        m.input_cache_write_price, m.openrouter_data -> 'pricing' as pricing
    ),
    repriced as (
      -- Price history: the written rows whose pricing is new or changed (a hash join over what
      -- was written, so nothing is read when nothing changed).
      insert into public.model_price_history (
        model_id, effective_from, sync_log_id, prompt_price, completion_price, request_price,
        image_price, web_search_price, internal_reasoning_price, input_cache_read_price,
        input_cache_write_price, pricing
      )
      select
        u.model_id, v_started_at, v_log_id, u.prompt_price, u.completion_price, u.request_price,
        u.image_price, u.web_search_price, u.internal_reasoning_price, u.input_cache_read_price,
        u.input_cache_write_price, u.pricing
      from upserted as u
      join parsed as c on c.model_id = u.model_id
      where c.price_changed
      returning 1
    ),
    removed as (
      -- Missing upstream: new/active/deprecated become inactive (remembering their status);
      -- disabled stay.
      update public.model_access as m
      set
        status = case
          when m.status in ('new', 'active', 'deprecated') then 'inactive' else m.status
        end,
        status_before_inactive = case
          when m.status in ('new', 'active', 'deprecated') then m.status
        end,
        upstream_removed_at = v_started_at,
        last_synced_at = v_started_at,
        openrouter_last_seen = greatest(m.openrouter_last_seen, v_last_completed_sync_at)
      from vanishing as v
      where m.id = v.id
        and (select v_apply and d.refusal is null and d.vanishing_count > 0 from decision as d)
      returning m.id
    )
    select jsonb_build_object(
      'refusal', d.refusal,
      'total_processed', d.valid_count,
      'skipped_invalid', d.invalid_count,
      'duplicates_ignored', d.duplicate_count,
      'models_listed', d.listed_count,
      'models_missing_upstream', d.vanishing_count,
      'inactive_share',
        case when d.listed_count > 0 then round(d.vanishing_count::numeric / d.listed_count, 4)
        else 0 end,
      'models_added', (select count(*) from compared as c where c.existing_id is null),
      'models_updated',
        (select count(*) from compared as c where not c.was_removed and c.changed),
      'models_unchanged',
        (select count(*) from compared as c
         where c.existing_id is not null and not c.was_removed and not c.changed),
      'models_reactivated', (select count(*) from compared as c where c.was_removed),
      'models_price_changed',
        (select count(*) from compared as c where c.price_changed and c.to_write),
      'models_access_by_rules', (select count(*) from rule_changes),
      'rows_written', (select count(*) from upserted) + (select count(*) from removed),
      -- The change digest (public.model_change_digests), only for an applied run that writes.
      'digest', case when v_apply and d.refusal is null and d.write_count + d.vanishing_count > 0
      then jsonb_build_object(
        'added', (
          select coalesce(jsonb_agg(c.model_id order by c.model_id), '[]'::jsonb)
          from compared as c where c.existing_id is null
        ),
        'inactivated', (
          select coalesce(jsonb_agg(v.model_id order by v.model_id), '[]'::jsonb)
          from vanishing as v
        ),
        'reactivated', (
          select coalesce(jsonb_agg(c.model_id order by c.model_id), '[]'::jsonb)
          from compared as c where c.was_removed
        ),
        'price_changes', (
          select coalesce(
            jsonb_agg(
              jsonb_build_object(
                'model_id', p.model_id, 'old', p.old_pricing, 'new', p.pricing
              )
              order by p.model_id
            ),
            '[]'::jsonb
          )
          from parsed as p
          where p.price_changed and p.existing_id is not null
        ),
        'rule_access_changes', (
          select coalesce(
            jsonb_agg(
              jsonb_build_object(
                'model_id', r.model_id, 'rule', r.rule, 'status', r.status,
                'is_free', r.is_free, 'is_pro', r.is_pro, 'is_enterprise', r.is_enterprise
              )
              order by r.model_id
            ),
            '[]'::jsonb
          )
          from rule_changes as r
          where not r.is_new
        )
      ) end,
      'preview', case when sync_openrouter_models.dry_run then jsonb_build_object(
        'added_ids', (
          select coalesce(jsonb_agg(c.model_id order by c.model_id), '[]'::jsonb)
          from compared as c where c.existing_id is null
        ),
        'updated_ids', (
          select coalesce(jsonb_agg(c.model_id order by c.model_id), '[]'::jsonb)
          from compared as c where not c.was_removed and c.changed
        ),
        'reactivated_ids', (
          select coalesce(jsonb_agg(c.model_id order by c.model_id), '[]'::jsonb)
          from compared as c where c.was_removed
        ),
        'marked_inactive_ids', (
          select coalesce(jsonb_agg(v.model_id order by v.model_id), '[]'::jsonb)
          from vanishing as v
        ),
        'rule_changes', (
          -- What the rules would set: new models a rule matches, and rule-managed models whose
          -- access the rules would change.
          select coalesce(
            jsonb_agg(
              jsonb_build_object(
                'model_id', r.model_id, 'rule', r.rule, 'new_model', r.is_new,
                'status', r.status, 'is_free', r.is_free, 'is_pro', r.is_pro,
                'is_enterprise', r.is_enterprise
              )
              order by r.model_id
            ),
            '[]'::jsonb
          )
          from rule_changes as r
        ),
        'price_changes', (
          -- Every pricing member, as upstream writes it (known or not), old and new.
          select coalesce(
            jsonb_agg(
              jsonb_build_object(
                'model_id', c.model_id, 'price', p.price, 'old', p.old_value, 'new', p.new_value
              )
              order by c.model_id, p.price
            ),
            '[]'::jsonb
          )
          from compared as c
          join public.model_access as m on m.id = c.existing_id
          cross join lateral (
            select coalesce(o.key, n.key) as price, o.value as old_value, n.value as new_value
            from jsonb_each(
              case when jsonb_typeof(m.openrouter_data -> 'pricing') = 'object'
                then m.openrouter_data -> 'pricing' else '{}'::jsonb end
            ) as o
            full join jsonb_each(
              case when jsonb_typeof(v_models -> c.ord -> 'pricing') = 'object'
                then v_models -> c.ord -> 'pricing' else '{}'::jsonb end
            ) as n on n.key = o.key
            where o.value is distinct from n.value
          ) as p
          where c.changed or c.was_removed
        )
      ) end
    )
    into v_outcome
    from decision as d;

    perform set_config('model_access.applying_rules', 'off', true);
    perform set_config('model_access.sync_log_id', '', true);

    v_refusal := v_outcome ->> 'refusal';
    v_duration_ms := round(extract(epoch from clock_timestamp() - v_started_at) * 1000, 3);

    if v_refusal is not null and v_apply then
      v_message := case v_refusal
        when 'empty_catalog' then
          'refused: the upstream catalog has no valid model; nothing was changed'
        else format(
          'refused by the integrity gate: %s of the %s models listed would be marked inactive '
          '(share %s > %s); nothing was changed. Re-run with force => true if this is expected.',
          v_outcome ->> 'models_missing_upstream', v_outcome ->> 'models_listed',
          v_outcome ->> 'inactive_share', sync_openrouter_models.max_inactive_share
        )
      end;
      update public.model_sync_log as l
      set
        sync_status = 'failed',
        completed_at = clock_timestamp(),
        total_processed = (v_outcome ->> 'total_processed')::integer,
        skipped_invalid = (v_outcome ->> 'skipped_invalid')::integer,
        duplicates_ignored = (v_outcome ->> 'duplicates_ignored')::integer,
        error_message = v_refusal || ': ' || v_message,
        error_details = jsonb_build_object(
          'error', v_refusal,
          'models_listed', v_outcome -> 'models_listed',
          'models_missing_upstream', v_outcome -> 'models_missing_upstream',
          'inactive_share', v_outcome -> 'inactive_share',
          'max_inactive_share', sync_openrouter_models.max_inactive_share
        ),
        duration_ms = v_duration_ms
      where l.id = v_log_id;

      return jsonb_build_object(
        'success', false,
        'error', v_refusal,
        'message', v_message,
        'dry_run', false,
        'sync_log_id', v_log_id,
        'triggered_by', sync_openrouter_models.triggered_by,
        'forced', sync_openrouter_models.force,
        'total_processed', v_outcome -> 'total_processed',
        'skipped_invalid', v_outcome -> 'skipped_invalid',
        'duplicates_ignored', v_outcome -> 'duplicates_ignored',
        'models_listed', v_outcome -> 'models_listed',
        'models_missing_upstream', v_outcome -> 'models_missing_upstream',
        'inactive_share', v_outcome -> 'inactive_share',
        'max_inactive_share', sync_openrouter_models.max_inactive_share,
        'duration_ms', v_duration_ms
      );
    end if;

    -- The admin digest of what changed (and its webhook); never raises.
    if jsonb_typeof(v_outcome -> 'digest') = 'object' then
      perform private.record_change_digest(
        v_log_id,
        jsonb_build_object(
          'sync_log_id', v_log_id,
          'synced_at', v_started_at,
          'triggered_by', sync_openrouter_models.triggered_by
        ) || (v_outcome -> 'digest')
      );
    end if;

    if v_apply then
      update public.model_sync_log as l
      set
        sync_status = 'completed',
        completed_at = clock_timestamp(),
        total_processed = (v_outcome ->> 'total_processed')::integer,
        models_added = (v_outcome ->> 'models_added')::integer,
        models_updated = (v_outcome ->> 'models_updated')::integer,
        models_unchanged = (v_outcome ->> 'models_unchanged')::integer,
        models_reactivated = (v_outcome ->> 'models_reactivated')::integer,
        models_marked_inactive = (v_outcome ->> 'models_missing_upstream')::integer,
        models_price_changed = (v_outcome ->> 'models_price_changed')::integer,
        skipped_invalid = (v_outcome ->> 'skipped_invalid')::integer,
        duplicates_ignored = (v_outcome ->> 'duplicates_ignored')::integer,
        duration_ms = v_duration_ms
      where l.id = v_log_id;
    end if;
  exception when others then
    -- The block's work is rolled back; the `running` row inserted before it survives and is
    -- marked failed, and the error is returned rather than raised so that the row is kept.
    if not v_apply then
      raise;
    end if;
    get stacked diagnostics
      v_error_state = returned_sqlstate,
      v_error_message = message_text,
      v_error_context = pg_exception_context;
    v_duration_ms := round(extract(epoch from clock_timestamp() - v_started_at) * 1000, 3);
    update public.model_sync_log as l
    set
      sync_status = 'failed',
      completed_at = clock_timestamp(),
      error_message = v_error_message,
      error_details = jsonb_build_object(
        'error', 'sync_failed', 'sqlstate', v_error_state, 'context', v_error_context
      ),
      duration_ms = v_duration_ms
    where l.id = v_log_id;
    return jsonb_build_object(
      'success', false,
      'error', 'sync_failed',
      'message', v_error_message,
      'sqlstate', v_error_state,
      'dry_run', false,
      'sync_log_id', v_log_id,
      'duration_ms', v_duration_ms
    );
  end;

  return jsonb_build_object(
    'success', true,
    'dry_run', sync_openrouter_models.dry_run,
    'sync_log_id', v_log_id,
    'triggered_by', sync_openrouter_models.triggered_by,
    'forced', sync_openrouter_models.force,
    'total_received', jsonb_array_length(v_models),
    'total_processed', v_outcome -> 'total_processed',
    'models_added', v_outcome -> 'models_added',
    'models_updated', v_outcome -> 'models_updated',
    'models_unchanged', v_outcome -> 'models_unchanged',
    'models_reactivated', v_outcome -> 'models_reactivated',
    'models_marked_inactive', v_outcome -> 'models_missing_upstream',
    'models_price_changed', v_outcome -> 'models_price_changed',
    'models_access_by_rules', v_outcome -> 'models_access_by_rules',
    'skipped_invalid', v_outcome -> 'skipped_invalid',
    'duplicates_ignored', v_outcome -> 'duplicates_ignored',
    'models_listed_before', v_outcome -> 'models_listed',
    'inactive_share', v_outcome -> 'inactive_share',
    'max_inactive_share', sync_openrouter_models.max_inactive_share,
    'rows_written', v_outcome -> 'rows_written',
    'duration_ms', v_duration_ms
  )
  || case when sync_openrouter_models.dry_run then
    jsonb_build_object('would_refuse', v_outcome -> 'refusal') || (v_outcome -> 'preview')
  else '{}'::jsonb end;
end;
$$;

comment on function private.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint) is
  'Applies an OpenRouter catalog (the `data` array of GET /api/v1/models) to model_access in one '
  'set-based statement: adds new models, rewrites only rows whose upstream data changed, marks '
  'models missing upstream inactive and restores returning ones. Applies model_access_rules to new '
  'and changed rule-managed models; never changes the access of admin-managed ones, except that '
  'an upstream expiration_date deprecates an active model. Records a change digest. '
  'Refuses an empty catalog, and one that would mark more than max_inactive_share (and more than '
  'ten) of the listed models inactive unless force. dry_run => true writes nothing (no log row) and returns the ids '
  'and price changes. Records new and changed prices in model_price_history (models_price_changed). '
  'Serialized by an advisory lock. sync_log_id completes a run begun by begin_sync_run. Admins '
  'and the service role only.';

revoke execute on function private.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint)
  from public, anon, authenticated, service_role;
grant execute on function private.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint)
  to authenticated, service_role;

-- The Data API entry point. Invoker: the definer function checks who calls.
create function public.sync_openrouter_models(
  models_data jsonb,
  triggered_by text default 'manual',
  force boolean default false,
  dry_run boolean default false,
  max_inactive_share numeric default 0.2,
  sync_log_id bigint default null
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
    sync_openrouter_models.sync_log_id
  );
$$;

comment on function public.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint) is
  'Applies an OpenRouter catalog to model_access and records the run (private.sync_openrouter_models '
  'describes it). Admins and the service role only.';

revoke execute on function public.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint)
  from public, anon, authenticated, service_role;
grant execute on function public.sync_openrouter_models(jsonb, text, boolean, boolean, numeric, bigint)
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
    duration_ms = round(extract(epoch from clock_timestamp() - l.started_at) * 1000, 3)
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

-- Begun before the catalog is fetched and committed on its own, so that a run that dies later
-- (the function killed at its wall-clock limit, a lost connection) still leaves a row; the next
-- run marks such rows failed as stale.
create function private.begin_sync_run(
  triggered_by text,
  stale_after interval default interval '15 minutes'
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
    'begin_sync_run', 'sync the model catalog', begin_sync_run.triggered_by
  );

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

comment on function private.begin_sync_run(text, interval) is
  'Starts a sync run: marks runs still `running` after stale_after as failed (stale), adds a '
  '`running` row and returns its id, to pass to sync_openrouter_models(sync_log_id => ...) or '
  'log_sync_failure. Call it in its own transaction. Admins and the service role only.';

revoke execute on function private.begin_sync_run(text, interval)
  from public, anon, authenticated, service_role;
grant execute on function private.begin_sync_run(text, interval) to authenticated, service_role;

-- The Data API entry point. Invoker: the definer function checks who calls.
create function public.begin_sync_run(
  triggered_by text,
  stale_after interval default interval '15 minutes'
)
returns bigint
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.begin_sync_run(begin_sync_run.triggered_by, begin_sync_run.stale_after);
$$;

comment on function public.begin_sync_run(text, interval) is
  'Starts a sync run and returns its model_sync_log id (private.begin_sync_run describes it). Call '
  'it in its own transaction. Admins and the service role only.';

revoke execute on function public.begin_sync_run(text, interval)
  from public, anon, authenticated, service_role;
grant execute on function public.begin_sync_run(text, interval) to authenticated, service_role;
