
export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[]

export type Database = {
  
  "public": {
          Tables: {
            "model_access": {
                  Row: {
                    "access_managed_by": string,"canonical_slug": string | null,"completion_price": number | null,"context_length": number | null,"created_at": string,"created_timestamp": number | null,"daily_limit": number | null,"deprecated_at": string | null,"deprecation_source": string | null,"hugging_face_id": string | null,"id": number,"image_price": number | null,"input_cache_read_price": number | null,"input_cache_write_price": number | null,"input_modalities": (string)[] | null,"internal_reasoning_price": number | null,"is_enterprise": boolean,"is_free": boolean,"is_moderated": boolean | null,"is_pro": boolean,"last_synced_at": string | null,"max_completion_tokens": number | null,"modality": string | null,"model_description": string | null,"model_id": string,"model_name": string | null,"monthly_limit": number | null,"openrouter_data": NonNullable<Json>,"openrouter_data_hash": number | null,"openrouter_last_seen": string | null,"output_modalities": (string)[] | null,"prompt_price": number | null,"replacement_model_id": string | null,"request_price": number | null,"status": string,"status_before_inactive": string | null,"sunset_at": string | null,"supported_parameters": (string)[] | null,"tokenizer": string | null,"updated_at": string,"upstream_removed_at": string | null,"web_search_price": number | null
                  }
                  ComputedFields: never
                  Insert: {
                    "access_managed_by"?: string,"canonical_slug"?: string | null,"completion_price"?: number | null,"context_length"?: number | null,"created_at"?: string,"created_timestamp"?: number | null,"daily_limit"?: number | null,"deprecated_at"?: string | null,"deprecation_source"?: string | null,"hugging_face_id"?: string | null,"id"?: never,"image_price"?: number | null,"input_cache_read_price"?: number | null,"input_cache_write_price"?: number | null,"input_modalities"?: (string)[] | null,"internal_reasoning_price"?: number | null,"is_enterprise"?: boolean,"is_free"?: boolean,"is_moderated"?: boolean | null,"is_pro"?: boolean,"last_synced_at"?: string | null,"max_completion_tokens"?: number | null,"modality"?: string | null,"model_description"?: string | null,"model_id": string,"model_name"?: string | null,"monthly_limit"?: number | null,"openrouter_data"?: NonNullable<Json>,"openrouter_data_hash"?: never,"openrouter_last_seen"?: string | null,"output_modalities"?: (string)[] | null,"prompt_price"?: number | null,"replacement_model_id"?: string | null,"request_price"?: number | null,"status"?: string,"status_before_inactive"?: string | null,"sunset_at"?: string | null,"supported_parameters"?: (string)[] | null,"tokenizer"?: string | null,"updated_at"?: string,"upstream_removed_at"?: string | null,"web_search_price"?: number | null
                  }
                  Update: {
                    "access_managed_by"?: string,"canonical_slug"?: string | null,"completion_price"?: number | null,"context_length"?: number | null,"created_at"?: string,"created_timestamp"?: number | null,"daily_limit"?: number | null,"deprecated_at"?: string | null,"deprecation_source"?: string | null,"hugging_face_id"?: string | null,"id"?: never,"image_price"?: number | null,"input_cache_read_price"?: number | null,"input_cache_write_price"?: number | null,"input_modalities"?: (string)[] | null,"internal_reasoning_price"?: number | null,"is_enterprise"?: boolean,"is_free"?: boolean,"is_moderated"?: boolean | null,"is_pro"?: boolean,"last_synced_at"?: string | null,"max_completion_tokens"?: number | null,"modality"?: string | null,"model_description"?: string | null,"model_id"?: string,"model_name"?: string | null,"monthly_limit"?: number | null,"openrouter_data"?: NonNullable<Json>,"openrouter_data_hash"?: never,"openrouter_last_seen"?: string | null,"output_modalities"?: (string)[] | null,"prompt_price"?: number | null,"replacement_model_id"?: string | null,"request_price"?: number | null,"status"?: string,"status_before_inactive"?: string | null,"sunset_at"?: string | null,"supported_parameters"?: (string)[] | null,"tokenizer"?: string | null,"updated_at"?: string,"upstream_removed_at"?: string | null,"web_search_price"?: number | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "model_access_replacement_model_id_fkey"
      columns: ["replacement_model_id"]
isOneToOne: false
      referencedRelation: "model_access"
      referencedColumns: ["model_id"]
    }
                  ]
                },"model_access_audit": {
                  Row: {
                    "actor_role": string,"actor_user_id": string | null,"changed_at": string,"id": number,"model_access_id": number,"model_id": string,"new_values": Json | null,"old_values": Json | null,"operation": string,"sync_log_id": number | null
                  }
                  ComputedFields: never
                  Insert: {
                    "actor_role": string,"actor_user_id"?: string | null,"changed_at"?: string,"id"?: never,"model_access_id": number,"model_id": string,"new_values"?: Json | null,"old_values"?: Json | null,"operation": string,"sync_log_id"?: number | null
                  }
                  Update: {
                    "actor_role"?: string,"actor_user_id"?: string | null,"changed_at"?: string,"id"?: never,"model_access_id"?: number,"model_id"?: string,"new_values"?: Json | null,"old_values"?: Json | null,"operation"?: string,"sync_log_id"?: number | null
                  }
                  Relationships: [
                    
                  ]
                },"model_access_rules": {
                  Row: {
                    "created_at": string,"enabled": boolean,"id": number,"is_enterprise": boolean,"is_free": boolean,"is_pro": boolean,"match_input_modality": string | null,"match_is_free_variant": boolean | null,"match_max_completion_price": number | null,"match_max_prompt_price": number | null,"match_min_completion_price": number | null,"match_min_context_length": number | null,"match_min_prompt_price": number | null,"match_model_id_like": string | null,"match_model_id_regex": string | null,"match_output_modality": string | null,"match_provider": string | null,"name": string,"priority": number,"status": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"enabled"?: boolean,"id"?: never,"is_enterprise"?: boolean,"is_free"?: boolean,"is_pro"?: boolean,"match_input_modality"?: string | null,"match_is_free_variant"?: boolean | null,"match_max_completion_price"?: number | null,"match_max_prompt_price"?: number | null,"match_min_completion_price"?: number | null,"match_min_context_length"?: number | null,"match_min_prompt_price"?: number | null,"match_model_id_like"?: string | null,"match_model_id_regex"?: string | null,"match_output_modality"?: string | null,"match_provider"?: string | null,"name": string,"priority": number,"status": string,"updated_at"?: string
                  }
                  Update: {
                    "created_at"?: string,"enabled"?: boolean,"id"?: never,"is_enterprise"?: boolean,"is_free"?: boolean,"is_pro"?: boolean,"match_input_modality"?: string | null,"match_is_free_variant"?: boolean | null,"match_max_completion_price"?: number | null,"match_max_prompt_price"?: number | null,"match_min_completion_price"?: number | null,"match_min_context_length"?: number | null,"match_min_prompt_price"?: number | null,"match_model_id_like"?: string | null,"match_model_id_regex"?: string | null,"match_output_modality"?: string | null,"match_provider"?: string | null,"name"?: string,"priority"?: number,"status"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"model_access_rules_audit": {
                  Row: {
                    "actor_role": string,"actor_user_id": string | null,"changed_at": string,"id": number,"new_values": Json | null,"old_values": Json | null,"operation": string,"rule_id": number
                  }
                  ComputedFields: never
                  Insert: {
                    "actor_role": string,"actor_user_id"?: string | null,"changed_at"?: string,"id"?: never,"new_values"?: Json | null,"old_values"?: Json | null,"operation": string,"rule_id": number
                  }
                  Update: {
                    "actor_role"?: string,"actor_user_id"?: string | null,"changed_at"?: string,"id"?: never,"new_values"?: Json | null,"old_values"?: Json | null,"operation"?: string,"rule_id"?: number
                  }
                  Relationships: [
                    
                  ]
                },"model_change_digests": {
                  Row: {
                    "created_at": string,"digest": NonNullable<Json>,"id": number,"models_added": number,"models_inactivated": number,"models_reactivated": number,"price_changes": number,"rule_access_changes": number,"sync_log_id": number,"webhook_error": string | null,"webhook_request_id": number | null,"webhook_status": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"digest": NonNullable<Json>,"id"?: never,"models_added": number,"models_inactivated": number,"models_reactivated": number,"price_changes": number,"rule_access_changes": number,"sync_log_id": number,"webhook_error"?: string | null,"webhook_request_id"?: number | null,"webhook_status": string
                  }
                  Update: {
                    "created_at"?: string,"digest"?: NonNullable<Json>,"id"?: never,"models_added"?: number,"models_inactivated"?: number,"models_reactivated"?: number,"price_changes"?: number,"rule_access_changes"?: number,"sync_log_id"?: number,"webhook_error"?: string | null,"webhook_request_id"?: number | null,"webhook_status"?: string
                  }
                  Relationships: [
                    
                  ]
                },"model_price_history": {
                  Row: {
                    "completion_price": number | null,"effective_from": string,"id": number,"image_price": number | null,"input_cache_read_price": number | null,"input_cache_write_price": number | null,"internal_reasoning_price": number | null,"model_id": string,"pricing": Json | null,"prompt_price": number | null,"request_price": number | null,"sync_log_id": number | null,"web_search_price": number | null
                  }
                  ComputedFields: never
                  Insert: {
                    "completion_price"?: number | null,"effective_from": string,"id"?: never,"image_price"?: number | null,"input_cache_read_price"?: number | null,"input_cache_write_price"?: number | null,"internal_reasoning_price"?: number | null,"model_id": string,"pricing"?: Json | null,"prompt_price"?: number | null,"request_price"?: number | null,"sync_log_id"?: number | null,"web_search_price"?: number | null
                  }
                  Update: {
                    "completion_price"?: number | null,"effective_from"?: string,"id"?: never,"image_price"?: number | null,"input_cache_read_price"?: number | null,"input_cache_write_price"?: number | null,"internal_reasoning_price"?: number | null,"model_id"?: string,"pricing"?: Json | null,"prompt_price"?: number | null,"request_price"?: number | null,"sync_log_id"?: number | null,"web_search_price"?: number | null
                  }
                  Relationships: [
                    
                  ]
                },"model_sync_log": {
                  Row: {
                    "completed_at": string | null,"duplicates_ignored": number | null,"duration_ms": number | null,"error_details": Json | null,"error_message": string | null,"forced": boolean,"forced_by": string | null,"id": number,"models_added": number | null,"models_leaving_tiers": number | null,"models_marked_inactive": number | null,"models_newly_visible": number | null,"models_price_changed": number | null,"models_reactivated": number | null,"models_unchanged": number | null,"models_updated": number | null,"overrides": Json | null,"sanitized_records": number | null,"skipped_invalid": number | null,"skipped_reasons": Json | null,"started_at": string,"sync_status": string,"total_openrouter_models": number | null,"total_processed": number | null,"triggered_by": string,"triggered_by_user_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "completed_at"?: string | null,"duplicates_ignored"?: number | null,"duration_ms"?: number | null,"error_details"?: Json | null,"error_message"?: string | null,"forced"?: boolean,"forced_by"?: string | null,"id"?: never,"models_added"?: number | null,"models_leaving_tiers"?: number | null,"models_marked_inactive"?: number | null,"models_newly_visible"?: number | null,"models_price_changed"?: number | null,"models_reactivated"?: number | null,"models_unchanged"?: number | null,"models_updated"?: number | null,"overrides"?: Json | null,"sanitized_records"?: number | null,"skipped_invalid"?: number | null,"skipped_reasons"?: Json | null,"started_at"?: string,"sync_status"?: string,"total_openrouter_models"?: number | null,"total_processed"?: number | null,"triggered_by": string,"triggered_by_user_id"?: string | null
                  }
                  Update: {
                    "completed_at"?: string | null,"duplicates_ignored"?: number | null,"duration_ms"?: number | null,"error_details"?: Json | null,"error_message"?: string | null,"forced"?: boolean,"forced_by"?: string | null,"id"?: never,"models_added"?: number | null,"models_leaving_tiers"?: number | null,"models_marked_inactive"?: number | null,"models_newly_visible"?: number | null,"models_price_changed"?: number | null,"models_reactivated"?: number | null,"models_unchanged"?: number | null,"models_updated"?: number | null,"overrides"?: Json | null,"sanitized_records"?: number | null,"skipped_invalid"?: number | null,"skipped_reasons"?: Json | null,"started_at"?: string,"sync_status"?: string,"total_openrouter_models"?: number | null,"total_processed"?: number | null,"triggered_by"?: string,"triggered_by_user_id"?: string | null
                  }
                  Relationships: [
                    
                  ]
                },"model_usage": {
                  Row: {
                    "last_request_at": string | null,"model_id": string,"period": string,"period_start": string,"request_count": number,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "last_request_at"?: string | null,"model_id": string,"period": string,"period_start": string,"request_count"?: number,"user_id": string
                  }
                  Update: {
                    "last_request_at"?: string | null,"model_id"?: string,"period"?: string,"period_start"?: string,"request_count"?: number,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "model_usage_model_id_fkey"
      columns: ["model_id"]
isOneToOne: false
      referencedRelation: "model_access"
      referencedColumns: ["model_id"]
    }
                  ]
                },"profiles": {
                  Row: {
                    "created_at": string,"default_model": string,"email": string | null,"id": string,"is_admin": boolean,"session_preferences": NonNullable<Json>,"subscription_tier": string,"system_prompt": string | null,"temperature": number,"ui_preferences": NonNullable<Json>,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"default_model"?: string,"email"?: string | null,"id": string,"is_admin"?: boolean,"session_preferences"?: NonNullable<Json>,"subscription_tier"?: string,"system_prompt"?: string | null,"temperature"?: number,"ui_preferences"?: NonNullable<Json>,"updated_at"?: string
                  }
                  Update: {
                    "created_at"?: string,"default_model"?: string,"email"?: string | null,"id"?: string,"is_admin"?: boolean,"session_preferences"?: NonNullable<Json>,"subscription_tier"?: string,"system_prompt"?: string | null,"temperature"?: number,"ui_preferences"?: NonNullable<Json>,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "profiles_subscription_tier_fkey"
      columns: ["subscription_tier"]
isOneToOne: false
      referencedRelation: "subscription_tiers"
      referencedColumns: ["tier"]
    }
                  ]
                },"subscription_tiers": {
                  Row: {
                    "sees_enterprise_models": boolean,"sees_pro_models": boolean,"tier": string
                  }
                  ComputedFields: never
                  Insert: {
                    "sees_enterprise_models": boolean,"sees_pro_models": boolean,"tier": string
                  }
                  Update: {
                    "sees_enterprise_models"?: boolean,"sees_pro_models"?: boolean,"tier"?: string
                  }
                  Relationships: [
                    
                  ]
                },"user_activity": {
                  Row: {
                    "activity_type": string,"created_at": string,"details": NonNullable<Json>,"id": number,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "activity_type": string,"created_at"?: string,"details"?: NonNullable<Json>,"id"?: never,"user_id": string
                  }
                  Update: {
                    "activity_type"?: string,"created_at"?: string,"details"?: NonNullable<Json>,"id"?: never,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                }
          }
          Views: {
            [_ in never]: never
          }
          Functions: {
            "apply_model_access_rules":
{ Args: { "model_ids"?: (string)[] }; Returns: Json
                           },
"begin_sync_run":
{ Args: { "cooldown_seconds"?: number,"stale_after"?: string,"triggered_by": string }; Returns: number
                           },
"can_use_model":
{ Args: { "model_id": string,"user_uuid"?: string }; Returns: boolean
                           },
"consume_model_quota":
{ Args: { "model_id": string,"user_uuid"?: string }; Returns: Json
                           },
"deprecate_models":
{ Args: { "model_ids": (string)[],"replacement_model_id"?: string,"sunset_at"?: string }; Returns: {
              "access_managed_by": string,
"canonical_slug": string | null,
"completion_price": number | null,
"context_length": number | null,
"created_at": string,
"created_timestamp": number | null,
"daily_limit": number | null,
"deprecated_at": string | null,
"deprecation_source": string | null,
"hugging_face_id": string | null,
"id": number,
"image_price": number | null,
"input_cache_read_price": number | null,
"input_cache_write_price": number | null,
"input_modalities": (string)[] | null,
"internal_reasoning_price": number | null,
"is_enterprise": boolean,
"is_free": boolean,
"is_moderated": boolean | null,
"is_pro": boolean,
"last_synced_at": string | null,
"max_completion_tokens": number | null,
"modality": string | null,
"model_description": string | null,
"model_id": string,
"model_name": string | null,
"monthly_limit": number | null,
"openrouter_data": NonNullable<Json>,
"openrouter_data_hash": number | null,
"openrouter_last_seen": string | null,
"output_modalities": (string)[] | null,
"prompt_price": number | null,
"replacement_model_id": string | null,
"request_price": number | null,
"status": string,
"status_before_inactive": string | null,
"sunset_at": string | null,
"supported_parameters": (string)[] | null,
"tokenizer": string | null,
"updated_at": string,
"upstream_removed_at": string | null,
"web_search_price": number | null
            }[]
                          SetofOptions: {
        from: "*"
        to: "model_access"
        isOneToOne: false
        isSetofReturn: true
      } },
"get_model_price_history":
{ Args: { "model_id": string }; Returns: {
              "completion_price": number,"effective_from": string,"image_price": number,"input_cache_read_price": number,"input_cache_write_price": number,"internal_reasoning_price": number,"pricing": Json,"prompt_price": number,"request_price": number,"sync_log_id": number,"web_search_price": number
            }[]
                           },
"get_my_default_model":
{ Args: Record<PropertyKey, never>; Returns: {
              "chosen": string,"reason": string,"resolved": string
            }[]
                           },
"get_my_tier":
{ Args: Record<PropertyKey, never>; Returns: string
                           },
"get_sync_health":
{ Args: { "max_age"?: string }; Returns: Json
                           },
"get_user_allowed_models_v2":
{ Args: { "user_uuid"?: string }; Returns: {
              "completion_price": number,"context_length": number,"created_timestamp": number,"daily_limit": number,"deprecated_at": string,"input_modalities": (string)[],"modality": string,"model_description": string,"model_id": string,"model_name": string,"monthly_limit": number,"output_modalities": (string)[],"prompt_price": number,"replacement_model_id": string,"sunset_at": string,"supported_parameters": (string)[]
            }[]
                           },
"hand_models_to_rules":
{ Args: { "model_ids": (string)[] }; Returns: Json
                           },
"list_models_for_admin":
{ Args: { "from_provider"?: string,"in_tier"?: string,"matching_text"?: string,"page_limit"?: number,"page_offset"?: number,"with_output_modality"?: string,"with_status"?: unknown }; Returns: {
              "access_managed_by": string,"canonical_slug": string,"completion_price": number,"context_length": number,"created_at": string,"created_timestamp": number,"daily_limit": number,"deprecated_at": string,"deprecation_source": string,"hugging_face_id": string,"image_price": number,"input_cache_read_price": number,"input_cache_write_price": number,"input_modalities": (string)[],"internal_reasoning_price": number,"is_enterprise": boolean,"is_free": boolean,"is_moderated": boolean,"is_pro": boolean,"last_synced_at": string,"max_completion_tokens": number,"modality": string,"model_description": string,"model_id": string,"model_name": string,"monthly_limit": number,"openrouter_last_seen": string,"output_modalities": (string)[],"prompt_price": number,"replacement_model_id": string,"request_price": number,"status": string,"status_before_inactive": string,"sunset_at": string,"supported_parameters": (string)[],"total_count": number,"updated_at": string,"upstream_removed_at": string,"web_search_price": number
            }[]
                           },
"log_sync_failure":
{ Args: { "error_details"?: Json,"error_message": string,"sync_log_id"?: number,"triggered_by": string }; Returns: number
                           },
"sync_openrouter_models":
{ Args: { "dry_run"?: boolean,"force"?: boolean,"max_inactive_share"?: number,"max_new_visible_share"?: number,"models_data": Json,"sync_log_id"?: number,"triggered_by"?: string }; Returns: Json
                           },
"update_model_tier_access":
{ Args: { "p_daily_limit"?: number,"p_is_enterprise"?: boolean,"p_is_free"?: boolean,"p_is_pro"?: boolean,"p_model_id": string,"p_monthly_limit"?: number,"p_status"?: string }; Returns: Json
                           },
"update_models_access":
{ Args: { "changes": Json,"model_ids": (string)[] }; Returns: {
              "access_managed_by": string,"canonical_slug": string,"changed": boolean,"completion_price": number,"context_length": number,"created_at": string,"created_timestamp": number,"daily_limit": number,"deprecated_at": string,"deprecation_source": string,"hugging_face_id": string,"image_price": number,"input_cache_read_price": number,"input_cache_write_price": number,"input_modalities": (string)[],"internal_reasoning_price": number,"is_enterprise": boolean,"is_free": boolean,"is_moderated": boolean,"is_pro": boolean,"last_synced_at": string,"max_completion_tokens": number,"modality": string,"model_description": string,"model_id": string,"model_name": string,"monthly_limit": number,"openrouter_last_seen": string,"output_modalities": (string)[],"prompt_price": number,"replacement_model_id": string,"request_price": number,"status": string,"status_before_inactive": string,"sunset_at": string,"supported_parameters": (string)[],"updated_at": string,"upstream_removed_at": string,"web_search_price": number
            }[]
                           },
"update_user_preferences":
{ Args: { "preference_type": string,"preferences": Json,"user_uuid": string }; Returns: Json
                           }
          }
          Enums: {
            [_ in never]: never
          }
          CompositeTypes: {
            [_ in never]: never
          }
        }
}

type DatabaseWithoutInternals = Omit<Database, '__InternalSupabase'>

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
  ? (DefaultSchema["Tables"] & DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
      Row: infer R
    }
    ? R
    : never
  : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Insert: infer I
    }
    ? I
    : never
  : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Update: infer U
    }
    ? U
    : never
  : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never
> = DefaultSchemaEnumNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
  ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
  : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never
> = PublicCompositeTypeNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
  ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
  : never

export const Constants = {
  "public": {
          Enums: {
            
          }
        }
} as const
