-- public.model_change_digests: after each sync that changed the catalog, an admin digest (models
-- added, inactivated, reactivated, price changes, access changes made by the tiering rules), and
-- private.record_change_digest, which stores it and, when a webhook is configured, POSTs it through
-- pg_net with a secret header.
--
-- Why: admins should hear what moved without reading the sync log. The digest is built inside the
-- sync's statement from the rows it wrote (nothing when nothing changed) and handed to
-- record_change_digest, which never raises: a digest or webhook problem is recorded on the digest
-- row, and the sync completes regardless. pg_net only queues the request (sent after commit by its
-- worker), so the webhook never blocks the sync either. Configure the webhook with two Vault
-- secrets: `catalog_webhook_url` and `catalog_webhook_secret` (sent as X-Webhook-Secret).

create table public.model_change_digests (
  id bigint generated always as identity primary key,
  sync_log_id bigint not null,
  created_at timestamptz not null default now(),
  models_added integer not null,
  models_inactivated integer not null,
  models_reactivated integer not null,
  price_changes integer not null,
  rule_access_changes integer not null,
  -- lz4: a first sync's digest lists every model (hundreds of kB at 10k), and pglz is slow.
  digest jsonb compression lz4 not null,
  webhook_status text not null,
  webhook_request_id bigint,
  webhook_error text,
  constraint model_change_digests_sync_log_id_key unique (sync_log_id),
  constraint model_change_digests_webhook_status_check
    check (webhook_status in ('not_configured', 'queued', 'failed')),
  constraint model_change_digests_digest_is_object check (jsonb_typeof(digest) = 'object')
);

comment on table public.model_change_digests is
  'One digest per sync run that changed the catalog: what was added, inactivated, reactivated, '
  'repriced and re-tiered by rules, and whether it was sent to the webhook. Written by the sync '
  '(through private.record_change_digest); readable by admins and the service role.';
comment on column public.model_change_digests.sync_log_id is 'model_sync_log.id of the run.';
comment on column public.model_change_digests.price_changes is
  'Models already known whose prices changed (new models are counted as added).';
comment on column public.model_change_digests.rule_access_changes is
  'Known models whose status or tier flags the tiering rules changed.';
comment on column public.model_change_digests.digest is
  '{sync_log_id, synced_at, counts, added, inactivated, reactivated, price_changes: [{model_id, '
  'old, new}], rule_access_changes: [{model_id, rule, status, is_free, is_pro, is_enterprise}]}; '
  'the webhook body.';
comment on column public.model_change_digests.webhook_status is
  'not_configured (no Vault secret catalog_webhook_url) | queued (handed to pg_net; see '
  'net._http_response for its answer) | failed (could not be queued; see webhook_error).';
comment on column public.model_change_digests.webhook_request_id is 'The pg_net request id.';
comment on column public.model_change_digests.webhook_error is 'Why the webhook could not be queued.';

create index model_change_digests_created_at_idx on public.model_change_digests (created_at desc);

alter table public.model_change_digests enable row level security;

revoke all on table public.model_change_digests from anon, authenticated, service_role;
grant select on table public.model_change_digests to authenticated, service_role;

create policy "Admins can read the change digests"
  on public.model_change_digests
  for select
  to authenticated
  using ((select private.is_admin()));

-- Security definer: it writes a table no API role may write and reads the webhook secrets from
-- Vault, which no API role may read. Only for the sync's callers: a request as `authenticated`
-- must come from an admin (the role the session switched to is checked, as the audit trigger does:
-- current_user is the owner in here). It never raises: any failure is caught, recorded on the
-- digest (or dropped with a warning when even that fails).
create function private.record_change_digest(sync_log_id bigint, digest jsonb)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_id bigint;
  v_url text;
  v_secret text;
  v_request_id bigint;
begin
  if coalesce(nullif(current_setting('role', true), 'none'), session_user::text) = 'anon'
    or (
      coalesce(nullif(current_setting('role', true), 'none'), session_user::text) = 'authenticated'
      and not private.is_admin()
    ) then
    return null;
  end if;

  begin
    insert into public.model_change_digests (
      sync_log_id, models_added, models_inactivated, models_reactivated, price_changes,
      rule_access_changes, digest, webhook_status
    )
    values (
      record_change_digest.sync_log_id,
      jsonb_array_length(record_change_digest.digest -> 'added'),
      jsonb_array_length(record_change_digest.digest -> 'inactivated'),
      jsonb_array_length(record_change_digest.digest -> 'reactivated'),
      jsonb_array_length(record_change_digest.digest -> 'price_changes'),
      jsonb_array_length(record_change_digest.digest -> 'rule_access_changes'),
      record_change_digest.digest,
      'not_configured'
    )
    returning id into v_id;
  exception when others then
    raise warning 'model change digest of sync % not recorded: %', record_change_digest.sync_log_id,
      sqlerrm;
    return null;
  end;

  begin
    select s.decrypted_secret into v_url
    from vault.decrypted_secrets as s
    where s.name = 'catalog_webhook_url';
    if coalesce(btrim(v_url), '') = '' then
      return v_id;
    end if;
    select s.decrypted_secret into v_secret
    from vault.decrypted_secrets as s
    where s.name = 'catalog_webhook_secret';

    v_request_id := net.http_post(
      url := btrim(v_url),
      body := record_change_digest.digest,
      headers := jsonb_build_object(
        'Content-Type', 'application/json',
        'X-Webhook-Secret', coalesce(v_secret, '')
      ),
      timeout_milliseconds := 10000
    );
    update public.model_change_digests as d
    set webhook_status = 'queued', webhook_request_id = v_request_id
    where d.id = v_id;
  exception when others then
    update public.model_change_digests as d
    set webhook_status = 'failed', webhook_error = sqlerrm
    where d.id = v_id;
  end;
  return v_id;
end;
$$;

comment on function private.record_change_digest(bigint, jsonb) is
  'Stores a sync''s change digest in model_change_digests and, when the Vault secret '
  'catalog_webhook_url is set, queues POST <url> with the digest as body and X-Webhook-Secret: '
  '<catalog_webhook_secret> through pg_net. Never raises. Called by sync_openrouter_models.';

revoke execute on function private.record_change_digest(bigint, jsonb)
  from public, anon, authenticated, service_role;
-- The sync (security invoker) runs as the admin or the service role.
grant execute on function private.record_change_digest(bigint, jsonb) to authenticated, service_role;
