//! The harness itself: axe runs under the console's CSP (no script at all) and finds
//! what is wrong, so its "0 violations" on the real pages means something.

use super::{Browser, PHONE};
use crate::helpers::TestApp;

#[tokio::test]
async fn browser_axe_runs_under_the_csp_and_finds_a_planted_fault() {
    let app = TestApp::spawn().await;
    let Some(browser) = Browser::open(&app, PHONE).await else {
        return;
    };
    browser.visit("/sign-in").await;
    // The page itself may run no script: an inline one is refused by the CSP.
    browser
        .script(
            "const s = document.createElement('script');
             s.textContent = 'window.ranInline = true';
             document.body.append(s);",
        )
        .await;
    assert_eq!(
        browser.script("return window.ranInline === true").await,
        false,
        "the CSP lets no inline script run"
    );
    assert!(browser.accessibility_violations().await.is_empty());

    browser
        .script(
            "const input = document.createElement('input');
             input.id = 'unlabelled';
             document.querySelector('form').append(input);",
        )
        .await;
    let violations = browser.accessibility_violations().await;
    let label = violations
        .iter()
        .find(|v| v["id"] == "label")
        .unwrap_or_else(|| panic!("no label violation in {violations:?}"));
    assert!(
        label["nodes"].to_string().contains("#unlabelled"),
        "{label}"
    );
}
