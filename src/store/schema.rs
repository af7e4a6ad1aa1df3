// The tables of migrations/{postgres,sqlite}, in types both backends share.

diesel::table! {
    programs (id) {
        id -> Text,
        name -> Text,
        max_sponsor_capacity -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        program_id -> Text,
        email -> Text,
        display_name -> Text,
        role -> Text,
        password_hash -> Text,
        status -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    session_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        id -> Text,
    }
}

diesel::table! {
    password_resets (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    invites (id) {
        id -> Text,
        program_id -> Text,
        email -> Text,
        display_name -> Text,
        role -> Text,
        token_hash -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        user_id -> Nullable<Text>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        program_id -> Text,
        name -> Text,
        key_hash -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sponsor_profiles (user_id) {
        user_id -> Text,
        program_id -> Text,
        alias -> Text,
        fellowships -> Text,
        sobriety_date -> Date,
        gender -> Text,
        sponsors_genders -> Text,
        age_band -> Nullable<Text>,
        languages -> Text,
        time_zone -> Text,
        availability -> Text,
        meets_by_phone -> Bool,
        meets_by_video -> Bool,
        in_person_latitude -> Nullable<Double>,
        in_person_longitude -> Nullable<Double>,
        in_person_radius_km -> Nullable<Double>,
        capacity -> Integer,
        attributes -> Text,
        status -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sponsor_contacts (user_id) {
        user_id -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
    }
}

diesel::table! {
    seekers (id) {
        id -> Text,
        program_id -> Text,
        alias -> Text,
        fellowships -> Text,
        gender -> Text,
        gender_preference -> Text,
        languages -> Text,
        time_zone -> Text,
        availability -> Text,
        meets_by_phone -> Bool,
        meets_by_video -> Bool,
        in_person_latitude -> Nullable<Double>,
        in_person_longitude -> Nullable<Double>,
        in_person_radius_km -> Nullable<Double>,
        needs -> Text,
        preferences -> Text,
        discharge_date -> Nullable<Date>,
        internal_notes -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    seeker_contacts (seeker_id) {
        seeker_id -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
    }
}

diesel::table! {
    consents (id) {
        id -> Text,
        seeker_id -> Text,
        program_id -> Text,
        discloser -> Text,
        recipient_class -> Text,
        information -> Text,
        purpose -> Text,
        signed_by -> Text,
        signed_at -> Timestamp,
        expires_at -> Timestamp,
        revocation_instructions -> Text,
        revoked_at -> Nullable<Timestamp>,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        program_id -> Text,
        actor_kind -> Text,
        actor_id -> Text,
        action -> Text,
        record_kind -> Text,
        record_id -> Text,
        request_id -> Nullable<Text>,
        occurred_at -> Timestamp,
    }
}

diesel::joinable!(users -> programs (program_id));
diesel::joinable!(session_tokens -> users (user_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(sponsor_profiles -> users (user_id));
diesel::joinable!(sponsor_contacts -> sponsor_profiles (user_id));
diesel::joinable!(seekers -> programs (program_id));
diesel::joinable!(invites -> programs (program_id));

diesel::table! {
    matching_policies (program_id) {
        program_id -> Text,
        min_sobriety_days -> Integer,
        sobriety_half_life_days -> Integer,
        weight_sobriety -> Double,
        weight_availability -> Double,
        weight_preferences -> Double,
        weight_distance -> Double,
        weight_load -> Double,
        version -> Integer,
        updated_at -> Timestamp,
        review_required -> Bool,
        answer_within_hours -> Integer,
        urgent_answer_within_hours -> Integer,
        auto_advance -> Bool,
    }
}

diesel::table! {
    matches (id) {
        id -> Text,
        program_id -> Text,
        seeker_id -> Text,
        sponsor_id -> Text,
        state -> Text,
        score -> Double,
        breakdown -> Text,
        policy_version -> Integer,
        urgent -> Bool,
        answer_by -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
        sponsor_contact_consent_at -> Nullable<Timestamp>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    match_transitions (id) {
        id -> Text,
        match_id -> Text,
        action -> Text,
        from_state -> Nullable<Text>,
        to_state -> Text,
        actor_kind -> Text,
        actor_id -> Text,
        reason -> Nullable<Text>,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (caller_id, idempotency_key) {
        caller_id -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        status -> Integer,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    disclosures (id) {
        id -> Text,
        program_id -> Text,
        seeker_id -> Text,
        match_id -> Text,
        recipient_id -> Text,
        items -> Text,
        purpose -> Text,
        consent_id -> Nullable<Text>,
        disclosed_at -> Timestamp,
    }
}

diesel::table! {
    outbox_messages (id) {
        id -> Text,
        program_id -> Text,
        match_id -> Nullable<Text>,
        kind -> Text,
        dedupe_key -> Text,
        payload -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    program_webhooks (program_id) {
        program_id -> Text,
        url -> Text,
        secret -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(match_transitions -> matches (match_id));
diesel::joinable!(matches -> seekers (seeker_id));
diesel::joinable!(matches -> sponsor_profiles (sponsor_id));

diesel::table! {
    sponsor_changes (seq) {
        seq -> BigInt,
        sponsor_id -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    check_ins (id) {
        id -> Text,
        match_id -> Text,
        program_id -> Text,
        party -> Text,
        day -> Integer,
        sent_at -> Timestamp,
        answer -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        followed_up_at -> Nullable<Timestamp>,
        followed_up_by -> Nullable<Text>,
    }
}

diesel::joinable!(check_ins -> matches (match_id));

diesel::table! {
    roster_entries (external_id, program_id) {
        program_id -> Text,
        external_id -> Text,
        invite_id -> Nullable<Text>,
        content_hash -> Text,
        profile -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(roster_entries -> invites (invite_id));

diesel::allow_tables_to_appear_in_same_query!(
    roster_entries,
    check_ins,
    matches,
    match_transitions,
    idempotency_keys,
    disclosures,
    outbox_messages,
    program_webhooks,
    matching_policies,
    sponsor_changes,
    programs,
    users,
    session_tokens,
    password_resets,
    invites,
    api_keys,
    sponsor_profiles,
    sponsor_contacts,
    seekers,
    seeker_contacts,
    consents,
    audit_events,
);
