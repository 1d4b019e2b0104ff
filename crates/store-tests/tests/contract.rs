//! The storage contract on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

onestop_store_tests::contract_tests!(
    migrations_are_applied,
    idempotency_keys_replay_the_first_answer,
    idempotency_keys_expire_release_and_purge,
    idempotency_key_races_have_one_winner,
    dumps_round_trip,
    imports_refuse_a_database_with_data,
    broken_dumps_write_nothing,
    staff_accounts_are_created_once,
    sessions_end_when_they_should,
    sign_in_throttles_are_kept,
    device_tokens_are_issued_and_revoked,
    the_audit_chain_verifies_and_searches,
    audit_appends_race_without_forking,
    catalogue_versions_are_kept_in_order,
    tickets_are_numbered_per_centre_group_and_day,
    concurrent_issues_take_distinct_consecutive_numbers,
    call_next_follows_the_calling_rules,
    groups_sharing_a_letter_share_its_counter,
    a_call_does_not_take_a_ticket_from_its_future,
    windows_calling_at_once_never_share_a_ticket,
    refused_actions_write_nothing,
    transfers_make_a_follow_on_ticket,
    closing_the_day_reconciles,
    service_times_are_the_newest_first,
    service_times_keep_a_bounded_history,
    queue_events_resume_after_a_position,
    queue_changes_are_signalled,
    windows_are_held_by_one_officer_at_a_time,
);
