-- The obvious implementation the benchmark compares against (the original design's approach): a
-- PL/pgSQL loop issuing one `insert ... on conflict do update` per model, then one update marking
-- the missing ones inactive. Created in a scratch schema of the benchmark's own stack only.
create schema if not exists bench_baseline;
drop table if exists bench_baseline.model_access;
create table bench_baseline.model_access (like public.model_access including defaults including identity);
alter table bench_baseline.model_access add constraint bench_model_id_key unique (model_id);

create or replace function bench_baseline.sync(models_data jsonb)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  model jsonb;
  processed integer := 0;
begin
  for model in select value from jsonb_array_elements(models_data) loop
    insert into bench_baseline.model_access (
      model_id, canonical_slug, hugging_face_id, model_name, model_description, context_length,
      created_timestamp, modality, input_modalities, output_modalities, tokenizer, prompt_price,
      completion_price, request_price, image_price, web_search_price, internal_reasoning_price,
      input_cache_read_price, input_cache_write_price, max_completion_tokens, is_moderated,
      supported_parameters, openrouter_data, last_synced_at, openrouter_last_seen
    ) values (
      model ->> 'id', model ->> 'canonical_slug', nullif(model ->> 'hugging_face_id', ''),
      model ->> 'name', model ->> 'description', (model ->> 'context_length')::integer,
      (model ->> 'created')::bigint, model -> 'architecture' ->> 'modality',
      array(select jsonb_array_elements_text(model -> 'architecture' -> 'input_modalities')),
      array(select jsonb_array_elements_text(model -> 'architecture' -> 'output_modalities')),
      model -> 'architecture' ->> 'tokenizer', (model -> 'pricing' ->> 'prompt')::numeric,
      (model -> 'pricing' ->> 'completion')::numeric, (model -> 'pricing' ->> 'request')::numeric,
      (model -> 'pricing' ->> 'image')::numeric, (model -> 'pricing' ->> 'web_search')::numeric,
      (model -> 'pricing' ->> 'internal_reasoning')::numeric,
      (model -> 'pricing' ->> 'input_cache_read')::numeric,
      (model -> 'pricing' ->> 'input_cache_write')::numeric,
      (model -> 'top_provider' ->> 'max_completion_tokens')::integer,
      (model -> 'top_provider' ->> 'is_moderated')::boolean,
      array(select jsonb_array_elements_text(model -> 'supported_parameters')),
      model, now(), now()
    )
    on conflict (model_id) do update set
      canonical_slug = excluded.canonical_slug, hugging_face_id = excluded.hugging_face_id,
      model_name = excluded.model_name, model_description = excluded.model_description,
      context_length = excluded.context_length, created_timestamp = excluded.created_timestamp,
      modality = excluded.modality, input_modalities = excluded.input_modalities,
      output_modalities = excluded.output_modalities, tokenizer = excluded.tokenizer,
      prompt_price = excluded.prompt_price, completion_price = excluded.completion_price,
      request_price = excluded.request_price, image_price = excluded.image_price,
      web_search_price = excluded.web_search_price,
      internal_reasoning_price = excluded.internal_reasoning_price,
      input_cache_read_price = excluded.input_cache_read_price,
      input_cache_write_price = excluded.input_cache_write_price,
      max_completion_tokens = excluded.max_completion_tokens,
      is_moderated = excluded.is_moderated, supported_parameters = excluded.supported_parameters,
      openrouter_data = excluded.openrouter_data, last_synced_at = now(),
      openrouter_last_seen = now(), updated_at = now();
    processed := processed + 1;
  end loop;
  update bench_baseline.model_access as m
  set status = 'inactive', updated_at = now()
  where m.status <> 'inactive'
    and m.model_id not in (select e.value ->> 'id' from jsonb_array_elements(models_data) as e);
  return processed;
end;
$$;
