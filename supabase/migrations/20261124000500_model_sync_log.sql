-- public.model_sync_log: one row per catalog sync run (or failed attempt), with exact counts,
-- wall-clock duration and who triggered it.
--
-- Why: operators need to see that the daily sync ran, what it changed, and why it failed or was
-- refused (integrity gate), so a failed run must leave a `failed` row rather than vanish with its
-- rolled-back work. Only admins and the service role can read it, and only the sync writes it.

create table public.model_sync_log (
  id bigint generated always as identity primary key,
  started_at timestamptz not null default clock_timestamp(),
  completed_at timestamptz,
  sync_status text not null default 'running',
  triggered_by text not null,
  triggered_by_user_id uuid references auth.users (id) on delete set null,
  forced boolean not null default false,
  total_openrouter_models integer,
  total_processed integer,
  models_added integer,
  models_updated integer,
  models_unchanged integer,
  models_reactivated integer,
  models_marked_inactive integer,
  skipped_invalid integer,
  duplicates_ignored integer,
  error_message text,
  error_details jsonb,
  duration_ms numeric(12, 3),
  models_price_changed integer,
  models_leaving_tiers integer,
  models_newly_visible integer,
  skipped_reasons jsonb,
  sanitized_records integer,
  overrides jsonb,
  forced_by text,
  constraint model_sync_log_sync_status_check
    check (sync_status in ('running', 'completed', 'failed')),
  constraint model_sync_log_triggered_by_check check (triggered_by in ('cron', 'admin', 'manual')),
  constraint model_sync_log_failed_has_error
    check (sync_status <> 'failed' or error_message is not null),
  constraint model_sync_log_forced_says_by_whom check (not forced or forced_by is not null)
);

comment on table public.model_sync_log is
  'One row per catalog sync run: counts, status, error and wall-clock duration. Written only by '
  'the sync (begin_sync_run, sync_openrouter_models, log_sync_failure); readable by admins and '
  'the service role.';
comment on column public.model_sync_log.sync_status is
  'running (in progress, or its transaction was lost) | completed | failed (error, refused by the '
  'integrity gate, or upstream fetch failed).';
comment on column public.model_sync_log.triggered_by is 'cron | admin | manual.';
comment on column public.model_sync_log.triggered_by_user_id is
  'auth.uid() of the admin who triggered the run; null for the service role and cron.';
comment on column public.model_sync_log.forced is
  'The integrity gate was overridden: force => true, or a threshold other than the standard one '
  '(see overrides and forced_by).';
comment on column public.model_sync_log.overrides is
  'What was overridden: {"force": true} and/or the thresholds given (max_inactive_share, '
  'max_new_visible_share); null when nothing was.';
comment on column public.model_sync_log.forced_by is
  'Who asked for the override: the admin''s user id, or the database role (service_role for cron '
  'and sync-models).';
comment on column public.model_sync_log.models_leaving_tiers is
  'Models offered to users before the run that it takes off a tier (missing upstream, sunset by '
  'a past expiration_date, demoted by rules); counted for refused runs too.';
comment on column public.model_sync_log.models_newly_visible is
  'New models the run offers to users at once (the rules make them visible without review).';
comment on column public.model_sync_log.skipped_reasons is
  'Skipped records per reason, e.g. {"invalid_price": 1, "invalid_id": 2} '
  '(private.parse_catalog_records, and the records sync-models could not pass on).';
comment on column public.model_sync_log.sanitized_records is
  'Records sync-models passed on after removing \u0000 or lone surrogates, which Postgres cannot '
  'hold.';
comment on column public.model_sync_log.total_openrouter_models is
  'Number of records in the upstream `data` array, valid or not.';
comment on column public.model_sync_log.total_processed is 'Distinct valid model ids processed.';
comment on column public.model_sync_log.models_unchanged is 'Models listed upstream with no change (not written).';
comment on column public.model_sync_log.models_reactivated is
  'Models listed again after having been missing upstream (inactive ones return to their previous '
  'status; disabled ones stay disabled).';
comment on column public.model_sync_log.models_marked_inactive is
  'Models listed before and missing from this run (new/active became inactive; disabled stay).';
comment on column public.model_sync_log.skipped_invalid is
  'Upstream records skipped as invalid (no usable id, or refused by the parser); see '
  'skipped_reasons.';
comment on column public.model_sync_log.duplicates_ignored is
  'Extra records repeating an id already in the payload (the last one wins).';
comment on column public.model_sync_log.error_details is
  'Structured detail of a failure: SQLSTATE and context, or the integrity gate numbers.';
comment on column public.model_sync_log.duration_ms is 'Wall-clock duration in milliseconds.';
comment on column public.model_sync_log.models_price_changed is
  'Models whose prices this run recorded in model_price_history (new models included).';

create index model_sync_log_started_at_idx on public.model_sync_log (started_at desc);
create index model_sync_log_triggered_by_user_id_idx on public.model_sync_log (triggered_by_user_id);

alter table public.model_sync_log enable row level security;

revoke all on table public.model_sync_log from anon, authenticated, service_role;
-- Read-only for every API role: only the sync's security definer functions (begin_sync_run,
-- sync_openrouter_models, log_sync_failure) write runs, so that no admin can rewrite history.
grant select on table public.model_sync_log to authenticated, service_role;

create policy "Admins can read the sync log"
  on public.model_sync_log
  for select
  to authenticated
  using ((select private.is_admin()));
