//! The sponsor's profile page: the form against the API's `/sponsors/me`, errors beside
//! their fields, a stale form noticed, pausing, and who may open it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Browserless, Page};
use crate::helpers::{Caller, TestApp, expect_json};
use crate::journey::{consenting_seeker, get_match, program, propose_to};

/// The largest the page may be, before compression.
const PAGE_WEIGHT_LIMIT: usize = 60 * 1024;

/// A whole profile as the form sends it.
fn filled_form() -> Vec<(&'static str, String)> {
    [
        ("alias", "Sam"),
        ("fellowships", "aa"),
        ("fellowships", "na"),
        ("sobriety_date", "2019-03-01"),
        ("gender", "woman"),
        ("sponsors", "listed"),
        ("sponsors_genders", "woman"),
        ("sponsors_genders", "non_binary"),
        ("age_band", "40_49"),
        ("languages", "en"),
        ("languages", "es"),
        ("time_zone", "America/Chicago"),
        ("hour", "mon-18"),
        ("hour", "mon-19"),
        ("hour", "sat-9"),
        ("hour", "sun-23"),
        ("meeting", "phone"),
        ("meeting", "in_person"),
        ("latitude", "41.88"),
        ("longitude", "-87.63"),
        ("radius_km", "15"),
        ("capacity", "2"),
        ("attributes", "supports_mat"),
        ("contact_email", "sam@example.org"),
        ("contact_phone", "+1 415 555 0123"),
        ("status", "active"),
    ]
    .into_iter()
    .map(|(n, v)| (n, v.to_owned()))
    .collect()
}

/// The form with `name` set to `values` (none: left out).
fn with(
    mut form: Vec<(&'static str, String)>,
    name: &'static str,
    values: &[&str],
) -> Vec<(&'static str, String)> {
    form.retain(|(n, _)| *n != name);
    form.extend(values.iter().map(|v| (name, (*v).to_owned())));
    form
}

async fn submit(browser: &mut Browserless<'_>, to: &str, form: &[(&'static str, String)]) -> Page {
    let fields: Vec<(&str, &str)> = form.iter().map(|(n, v)| (*n, v.as_str())).collect();
    browser.submit("/app/profile", to, &fields).await
}

async fn own_profile(app: &TestApp, sponsor: &Caller) -> (StatusCode, Value) {
    let response = app
        .get("/api/v1/sponsors/me", sponsor)
        .send()
        .await
        .expect("own profile");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn max_capacity(app: &TestApp, caller: &Caller) -> i64 {
    let me = expect_json(
        app.get("/api/v1/me", caller).send().await.expect("me"),
        StatusCode::OK,
    )
    .await;
    me["program"]["max_sponsor_capacity"].as_i64().expect("max")
}

/// The hidden version field the page's form carries.
fn version_field(page: &Page) -> Option<String> {
    let marker = "name=\"version\" value=\"";
    let start = page.html.find(marker)? + marker.len();
    let end = page.html[start..].find('"')? + start;
    Some(page.html[start..end].to_owned())
}

#[tokio::test]
async fn a_new_sponsor_fills_the_form_and_the_api_shows_the_same_profile() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let sponsor = app.add_user(&admin, "sponsor").await;
    let mut browser = Browserless::signed_in(&app, &sponsor);

    let blank = browser.get("/app/profile").await;
    assert_eq!(blank.status, StatusCode::OK);
    assert!(blank.html.contains("You have no profile yet"));
    assert!(version_field(&blank).is_none());
    assert!(
        blank.html.contains(r#"value="en" checked"#),
        "English by default"
    );
    assert!(
        blank
            .html
            .contains(r#"value="same_gender" id="sponsors" checked"#),
        "same gender by default"
    );
    assert!(blank.html.contains("Alcoholics Anonymous (AA)"));
    assert!(blank.html.contains(r#"aria-labelledby="d-mon h18""#));

    let saved = submit(&mut browser, "/app/profile", &filled_form()).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    assert_eq!(
        saved.location.as_deref(),
        Some("/app/profile?done=note-profile-saved")
    );

    let (status, profile) = own_profile(&app, &sponsor).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile["alias"], "Sam");
    assert_eq!(profile["fellowships"], json!(["aa", "na"]));
    assert_eq!(profile["sobriety_date"], "2019-03-01");
    assert_eq!(profile["gender"], "woman");
    assert_eq!(
        profile["sponsors"],
        json!({ "rule": "listed", "genders": ["woman", "non_binary"] })
    );
    assert_eq!(profile["age_band"], "40_49");
    assert_eq!(profile["languages"], json!(["en", "es"]));
    assert_eq!(profile["time_zone"], "America/Chicago");
    assert_eq!(
        profile["availability"],
        json!({ "mon": [18, 19], "sat": [9], "sun": [23] })
    );
    assert_eq!(
        profile["meeting"],
        json!({ "phone": true, "video": false,
            "in_person": { "latitude": 41.88, "longitude": -87.63, "radius_km": 15.0 } })
    );
    assert_eq!(profile["capacity"], 2);
    assert_eq!(profile["attributes"], json!(["supports_mat"]));
    assert_eq!(profile["status"], "active");
    assert_eq!(
        profile["contact"],
        json!({ "email": "sam@example.org", "phone": "+14155550123" })
    );
    assert_eq!(profile["version"], 1);

    // The page shows it back, with the version to replace.
    let shown = browser.get("/app/profile?done=note-profile-saved").await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.html.contains("Your profile has been saved."));
    assert!(shown.html.contains("Your status: Taking new requests"));
    assert_eq!(version_field(&shown).as_deref(), Some("1"));
    for ticked in [
        r#"value="mon-18" aria-labelledby="d-mon h18" checked"#,
        r#"value="sun-23" aria-labelledby="d-sun h23" checked"#,
        r#"value="non_binary" checked"#,
        r#"<option selected>America/Chicago<"#,
        r#"value="+14155550123""#,
    ] {
        assert!(shown.html.contains(ticked), "{ticked}");
    }
    assert!(
        !shown
            .html
            .contains(r#"value="mon-20" aria-labelledby="d-mon h20" checked"#)
    );

    // Saving again from the page replaces version 1.
    let form = with(filled_form(), "version", &["1"]);
    let form = with(form, "sponsors", &["any_gender"]);
    let again = submit(
        &mut browser,
        "/app/profile",
        &with(form, "hour", &["tue-7"]),
    )
    .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.html);
    let (_, profile) = own_profile(&app, &sponsor).await;
    assert_eq!(profile["version"], 2);
    assert_eq!(profile["sponsors"], json!({ "rule": "any_gender" }));
    assert_eq!(profile["availability"], json!({ "tue": [7] }));
}

#[tokio::test]
async fn an_invalid_form_answers_422_with_each_error_beside_its_field_and_the_input_kept() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let sponsor = app.add_sponsor(&admin, |_| {}).await;
    let max = max_capacity(&app, &sponsor).await;
    let (_, before) = own_profile(&app, &sponsor).await;
    let mut browser = Browserless::signed_in(&app, &sponsor);

    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(2)).to_string();
    let too_many = (max + 1).to_string();
    let form = with(filled_form(), "version", &["1"]);
    let form = with(form, "capacity", &[&too_many]);
    let form = with(form, "sobriety_date", &[&tomorrow]);
    let form = with(form, "fellowships", &[]);
    let form = with(form, "contact_phone", &["12345"]);
    let form = with(form, "radius_km", &["1000"]);
    let form = with(form, "hour", &["tue-7", "sat-22"]);
    let page = submit(&mut browser, "/app/profile", &form).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.html
    );

    for (id, words) in [
        ("fellowships", "Choose at least one fellowship."),
        (
            "sobriety_date",
            "Your sobriety date cannot be in the future.",
        ),
        ("radius_km", "Enter how far you would travel"),
        (
            "capacity",
            &format!("Enter a whole number from 1 to {max}."),
        ),
        (
            "contact_phone",
            "Enter a phone number with its country code",
        ),
    ] {
        assert!(
            page.html.contains(&format!("<a href=\"#{id}\">{words}")),
            "the summary links {id}: {}",
            page.html
        );
        let beside =
            format!("id=\"{id}-error\"><span class=\"visually-hidden\">Error:</span>{words}");
        assert!(page.html.contains(&beside), "beside {id}");
        assert!(
            page.html.contains(&format!("{id}-error\"")),
            "described by its error"
        );
    }
    // The summary lists them in the page's order.
    let at = |needle: &str| page.html.find(needle).expect(needle);
    assert!(at("href=\"#fellowships\"") < at("href=\"#sobriety_date\""));
    assert!(at("href=\"#radius_km\"") < at("href=\"#capacity\""));
    assert!(at("href=\"#capacity\"") < at("href=\"#contact_phone\""));
    // Each control whose error it is says so; the others do not.
    assert!(page.html.contains(&format!(
        r#"id="capacity" name="capacity" type="number" min="1" max="{max}" step="1" value="{too_many}" required aria-describedby="capacity-hint capacity-error" aria-invalid="true""#
    )));
    assert!(page.html.contains(r#"id="alias" name="alias" type="text" value="Sam" maxlength="60" autocomplete="nickname" required aria-describedby="alias-hint">"#));
    // What was written is kept, the grid too.
    for kept in [
        format!(r#"value="{tomorrow}""#),
        r#"value="12345""#.to_owned(),
        r#"value="1000""#.to_owned(),
        r#"value="tue-7" aria-labelledby="d-tue h7" checked"#.to_owned(),
        r#"value="sat-22" aria-labelledby="d-sat h22" checked"#.to_owned(),
        r#"value="in_person" checked"#.to_owned(),
        r#"name="version" value="1""#.to_owned(),
    ] {
        assert!(page.html.contains(&kept), "{kept}");
    }
    assert!(
        !page
            .html
            .contains(r#"value="mon-18" aria-labelledby="d-mon h18" checked"#)
    );

    let (_, after) = own_profile(&app, &sponsor).await;
    assert_eq!(after, before, "nothing saved");
}

#[tokio::test]
async fn a_choice_not_made_is_shown_with_every_other_problem_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let sponsor = app.add_user(&admin, "sponsor").await;
    let mut browser = Browserless::signed_in(&app, &sponsor);

    let page = submit(
        &mut browser,
        "/app/profile",
        &[
            ("alias", " ".into()),
            ("sobriety_date", "1st of March".into()),
            ("capacity", "".into()),
        ],
    )
    .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.html
    );
    for (anchor, words) in [
        ("alias", "Enter a first name or alias."),
        ("fellowships", "Choose at least one fellowship."),
        (
            "sobriety_date",
            "Enter your sobriety date as year, month and day",
        ),
        ("gender", "Choose your gender."),
        ("languages", "Choose at least one language."),
        ("time_zone", "Choose your time zone from the list."),
        ("availability", "Tick at least one hour"),
        ("meeting", "Choose at least one way you can meet."),
        ("capacity", "Enter a whole number from 1 to"),
        ("contact_email", "Give an email address or a phone number."),
    ] {
        assert!(
            page.html
                .contains(&format!("<a href=\"#{anchor}\">{words}")),
            "{anchor}: {}",
            page.html
        );
        assert!(
            page.html.contains(&format!("id=\"{anchor}\"")),
            "{anchor} is on the page"
        );
    }
    assert!(page.html.contains(r#"value="1st of March""#));
    assert!(page.html.contains("You have no profile yet"));
    let (status, _) = own_profile(&app, &sponsor).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing saved");
}

#[tokio::test]
async fn a_form_made_before_another_change_is_noticed_not_saved_over() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let sponsor = app.add_sponsor(&admin, |_| {}).await;
    let mut browser = Browserless::signed_in(&app, &sponsor);
    let opened = browser.get("/app/profile").await;
    assert_eq!(version_field(&opened).as_deref(), Some("1"));

    // Meanwhile, through the API.
    let mut body = crate::helpers::sponsor_body();
    body["alias"] = json!("Samantha");
    let changed = app
        .put("/api/v1/sponsors/me", &sponsor, &body)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .expect("put");
    expect_json(changed, StatusCode::OK).await;

    let form = with(filled_form(), "version", &["1"]);
    let form = with(form, "alias", &["Sammy"]);
    let page = submit(&mut browser, "/app/profile", &form).await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.html);
    assert!(
        page.html
            .contains("Your profile changed while you were editing")
    );
    assert!(page.html.contains(r#"value="Sammy""#), "the input is kept");
    assert_eq!(version_field(&page).as_deref(), Some("2"));
    let (_, profile) = own_profile(&app, &sponsor).await;
    assert_eq!(profile["alias"], "Samantha", "the other change stands");

    // Saving again, knowingly, replaces it.
    let page = submit(&mut browser, "/app/profile", &with(form, "version", &["2"])).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let (_, profile) = own_profile(&app, &sponsor).await;
    assert_eq!(
        (profile["alias"].as_str(), profile["version"].as_i64()),
        (Some("Sammy"), Some(3))
    );
}

#[tokio::test]
async fn pausing_declines_waiting_requests_and_resuming_opens_the_sponsor_again() {
    let app = TestApp::builder()
        .with(|s| s.outbox.deliver_in_serve = false)
        .spawn()
        .await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let seeker = consenting_seeker(&app, &p.portal).await;
    let waiting = propose_to(&app, &p.portal, &seeker, &sponsor).await;
    let mut browser = Browserless::signed_in(&app, &sponsor);

    let page = browser.get("/app/profile").await;
    assert!(page.html.contains("People you sponsor now keep you."));
    assert!(page.html.contains(r#"action="/app/profile/pause""#));

    let paused = browser
        .submit("/app/profile", "/app/profile/pause", &[])
        .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER);
    assert_eq!(
        paused.location.as_deref(),
        Some("/app/profile?done=note-paused")
    );
    let (_, profile) = own_profile(&app, &sponsor).await;
    assert_eq!(profile["status"], "paused");
    assert_eq!(profile["version"], 2);
    let record = get_match(&app, &p.manager, waiting["id"].as_str().unwrap()).await;
    assert_eq!(record["state"], "declined");
    assert_eq!(record["reason"], "sponsor_paused");

    let page = browser.get("/app/profile?done=note-paused").await;
    assert!(page.html.contains("Your status: Paused"));
    assert!(
        page.html
            .contains("You will not get new requests until you resume.")
    );
    assert!(page.html.contains(r#"action="/app/profile/resume""#));
    assert!(
        page.html.contains(r#"name="status" value="paused""#),
        "saving keeps the pause"
    );

    let resumed = browser
        .submit("/app/profile", "/app/profile/resume", &[])
        .await;
    assert_eq!(
        resumed.location.as_deref(),
        Some("/app/profile?done=note-resumed")
    );
    let (_, profile) = own_profile(&app, &sponsor).await;
    assert_eq!(profile["status"], "active");
}

#[tokio::test]
async fn only_sponsors_open_the_profile_pages() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let manager = app.add_user(&admin, "case_manager").await;
    for staff in [&admin, &manager] {
        let mut browser = Browserless::signed_in(&app, staff);
        assert_eq!(
            browser.get("/app/profile").await.status,
            StatusCode::FORBIDDEN
        );
        for to in ["/app/profile", "/app/profile/pause", "/app/profile/resume"] {
            let form = filled_form();
            let fields: Vec<(&str, &str)> = form.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let page = browser.submit("/app/account", to, &fields).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{to}");
        }
    }

    let mut nobody = Browserless::new(&app);
    let page = nobody.get("/app/profile").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location.as_deref(),
        Some("/sign-in?back_to=%2Fapp%2Fprofile")
    );
    for to in ["/app/profile", "/app/profile/pause", "/app/profile/resume"] {
        let page = nobody.submit("/sign-in", to, &[]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{to}");
        assert!(page.location.unwrap_or_default().starts_with("/sign-in"));
    }
}

#[tokio::test]
async fn profile_forms_without_this_browsers_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let sponsor = app.add_sponsor(&admin, |_| {}).await;
    let (_, before) = own_profile(&app, &sponsor).await;
    let mut browser = Browserless::signed_in(&app, &sponsor);
    let form = with(filled_form(), "version", &["1"]);
    let fields: Vec<(&str, &str)> = form.iter().map(|(n, v)| (*n, v.as_str())).collect();
    for to in ["/app/profile", "/app/profile/pause", "/app/profile/resume"] {
        let page = browser.post_raw(to, &fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{to}");
    }
    let (_, after) = own_profile(&app, &sponsor).await;
    assert_eq!(after, before, "nothing changed");
}

#[tokio::test]
async fn the_page_stays_light_with_every_hour_ticked_and_errors_shown() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let sponsor = app.add_user(&admin, "sponsor").await;
    let mut browser = Browserless::signed_in(&app, &sponsor);
    let blank = browser.get("/app/profile").await;

    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let every_hour: Vec<String> = days
        .iter()
        .flat_map(|d| (0..24).map(move |h| format!("{d}-{h}")))
        .collect();
    let hours: Vec<&str> = every_hour.iter().map(String::as_str).collect();
    let form = with(filled_form(), "hour", &hours);
    let saved = submit(&mut browser, "/app/profile", &form).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let full = browser.get("/app/profile").await;
    assert!(full.html.matches(" checked").count() >= 168);

    let invalid = submit(
        &mut browser,
        "/app/profile",
        &with(with(form, "capacity", &["0"]), "contact_email", &["nope"]),
    )
    .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    for (what, page) in [
        ("blank", &blank),
        ("full", &full),
        ("with errors", &invalid),
    ] {
        println!("profile page, {what}: {} bytes", page.html.len());
        assert!(
            page.html.len() < PAGE_WEIGHT_LIMIT,
            "{what}: {} bytes",
            page.html.len()
        );
        assert!(!page.html.contains("style=") && !page.html.contains("<script"));
        for raw_key in [">field-", ">profile-", ">label-", ">note-", ">error-"] {
            assert!(!page.html.contains(raw_key), "a word missing: {raw_key}");
        }
        if let Ok(dir) = std::env::var("PROFILE_PAGE_DUMP") {
            std::fs::write(format!("{dir}/{}.html", what.replace(' ', "-")), &page.html)
                .expect("dump");
        }
    }
}
