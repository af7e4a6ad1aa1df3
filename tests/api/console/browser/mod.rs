//! The console in a real browser: headless Chromium driven over WebDriver. One
//! chromedriver per test process, started on first use; each test gets its own browser
//! session (its own profile, cookies and window) and its own app, so browser tests run in
//! parallel with the rest of the suite. Each page a journey reaches is checked with
//! axe-core (WCAG 2.2 AA rules), for sideways scrolling on a phone, and photographed.
//!
//! Without Chromium and chromedriver the tests say so on stderr and pass, unless
//! `REQUIRE_BROWSER=1` (as in `.ci/run`), when they fail. See docs/console.md.

mod harness;
mod invited;
mod links;
mod password;
mod requests;
mod sign_in;
mod sponsees;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use crate::helpers::{Caller, PASSWORD, TestApp, expect_json, sponsor_body};

/// Debian's packages (`apt-get install chromium chromium-driver`), unless `$CHROMIUM`
/// and `$CHROMEDRIVER` name others.
static CHROMIUM: LazyLock<String> =
    LazyLock::new(|| std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into()));
static CHROMEDRIVER: LazyLock<String> =
    LazyLock::new(|| std::env::var("CHROMEDRIVER").unwrap_or("/usr/bin/chromedriver".into()));

/// A phone's width, the narrowest the console must read at (WCAG 1.4.10 Reflow).
pub const PHONE: (u32, u32) = (320, 800);
pub const DESKTOP: (u32, u32) = (1280, 900);

/// This machine's network is closed, and tests share its cores: nothing in the
/// background, no sandbox (tests run as root in a container), no GPU.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    // As on a phone, scrollbars take no width from the page.
    "--hide-scrollbars",
];

/// axe-core 4.14.1 (MPL-2.0), `axe.min.js` from its npm package, licence header kept.
const AXE: &str = include_str!("axe.min.js");
const AXE_TAGS: &[&str] = &["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
static AXE_RUNS: AtomicUsize = AtomicUsize::new(0);

/// How long a condition may take to come true (a page to load, a driver to listen).
const PATIENCE: Duration = Duration::from_secs(15);

/// The one chromedriver of this test process.
struct Driver {
    port: u16,
    /// A shell that started chromedriver and stops it when its stdin closes: when this
    /// process ends, however it ends (statics are never dropped).
    _watch: Child,
}

static DRIVER: LazyLock<Option<Driver>> = LazyLock::new(|| {
    if !Path::new(&*CHROMIUM).exists() || !Path::new(&*CHROMEDRIVER).exists() {
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let watch = Command::new("sh")
        .args([
            "-c",
            r#""$0" --port="$1" >/dev/null 2>&1 & read -r _; kill "$!""#,
            &CHROMEDRIVER,
            &port.to_string(),
        ])
        .stdin(Stdio::piped())
        .spawn()
        .expect("chromedriver starts");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < PATIENCE, "chromedriver never listened");
        std::thread::sleep(Duration::from_millis(10));
    }
    Some(Driver {
        port,
        _watch: watch,
    })
});

/// One test's browser: a fresh profile and window of the given size, on one app.
pub struct Browser {
    pub client: Client,
    base: String,
    width: u32,
    driver_port: u16,
    session: String,
    _profile: tempfile::TempDir,
}

/// The email a caller signs in with.
pub async fn email_of(app: &TestApp, caller: &Caller) -> String {
    let me = app.get("/api/v1/me", caller).send().await.expect("me");
    let me: Value = me.json().await.expect("json");
    me["user"]["email"].as_str().expect("email").to_owned()
}

/// The path of the first link in `mail` under `prefix` (`/invite/`), to open on the
/// test's own address.
pub fn link_in(mail: &crate::smtp::Mail, prefix: &str) -> String {
    mail.text()
        .lines()
        .find_map(|line| line.trim().split_once(prefix).map(|(_, t)| t.to_owned()))
        .map(|token| format!("{prefix}{token}"))
        .unwrap_or_else(|| panic!("no {prefix} link in {}", mail.text()))
}

/// The sponsor of the journeys that are photographed, with the same words every run.
pub const SAM_EMAIL: &str = "sam@example.org";
pub const SAM_NAME: &str = "Sam Rivera";

/// Sam Rivera (`SAM_EMAIL`, `PASSWORD`), invited into the admin's program, with the
/// standard profile.
pub async fn sam(app: &TestApp, admin: &Caller) -> Caller {
    let invite = app
        .post(
            "/api/v1/invites",
            admin,
            &json!({ "email": SAM_EMAIL, "display_name": SAM_NAME, "role": "sponsor" }),
        )
        .send()
        .await
        .expect("invite");
    let invite = expect_json(invite, reqwest::StatusCode::CREATED).await;
    let accepted = app
        .request(reqwest::Method::POST, "/api/v1/invites/accept")
        .json(&json!({ "token": invite["token"], "password": PASSWORD }))
        .send()
        .await
        .expect("accept");
    expect_json(accepted, reqwest::StatusCode::OK).await;
    let sam = app.login(SAM_EMAIL, PASSWORD).await;
    let profile = app
        .put("/api/v1/sponsors/me", &sam, &sponsor_body())
        .send()
        .await
        .expect("profile");
    expect_json(profile, reqwest::StatusCode::OK).await;
    sam
}

impl Browser {
    /// A browser on `app` with a window of `size`; `None` (said on stderr) when this
    /// machine has no Chromium or chromedriver, a failure if `REQUIRE_BROWSER=1`.
    pub async fn open(app: &TestApp, size: (u32, u32)) -> Option<Browser> {
        let Some(driver) = DRIVER.as_ref() else {
            let message = "browser tests need chromium and chromedriver; not found";
            assert!(
                std::env::var("REQUIRE_BROWSER").as_deref() != Ok("1"),
                "{message} ({}, {}) and REQUIRE_BROWSER=1",
                *CHROMIUM,
                *CHROMEDRIVER
            );
            eprintln!("{message}");
            return None;
        };
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!("--window-size={},{}", size.0, size.1));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": *CHROMIUM, "args": args },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("a browser session");
        let session = client
            .session_id()
            .await
            .expect("session id")
            .expect("a session");
        let browser = Browser {
            client,
            base: app.address.clone(),
            width: size.0,
            driver_port: driver.port,
            session,
            _profile: profile,
        };
        // Chromium keeps a window at least 500 px wide; the page is given the size
        // itself, as a desktop browser zoomed to 400% is (WCAG's 320 CSS px).
        browser
            .cdp(
                "Emulation.setDeviceMetricsOverride",
                json!({ "width": size.0, "height": size.1, "deviceScaleFactor": 1, "mobile": false }),
            )
            .await;
        let inner = browser.script("return window.innerWidth").await;
        assert_eq!(inner, json!(size.0), "the page is as wide as the window");
        Some(browser)
    }

    /// Goes to `path` of the app and waits for it to load.
    pub async fn visit(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("page loads");
    }

    /// The path (and query) of the page the browser is on.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until the browser is on `path` (after a form posts and redirects).
    pub async fn wait_for_path(&self, path: &str) {
        let started = Instant::now();
        loop {
            let now = self.path().await;
            if now == path && self.script("return document.readyState").await == "complete" {
                return;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "still on {now}, waiting for {path}"
            );
            tokio::task::yield_now().await;
        }
    }

    /// Waits until the page (loaded in full) shows `text`: after a form posts back to the
    /// same address.
    pub async fn wait_for_text(&self, text: &str) {
        let check = format!(
            "return document.readyState === 'complete' && document.body.innerText.includes({})",
            json!(text)
        );
        let started = Instant::now();
        while self.script(&check).await != json!(true) {
            if started.elapsed() > PATIENCE {
                let summary = self
                    .script("const s = document.querySelector('.error-summary'); return s && s.innerText;")
                    .await;
                panic!(
                    "{} never showed {text:?} (errors: {summary})",
                    self.path().await
                );
            }
            tokio::task::yield_now().await;
        }
    }

    /// Signs in with the keyboard on the sign-in page, and waits for the home page.
    pub async fn sign_in(&self, email: &str, password: &str) {
        self.visit("/sign-in").await;
        self.tab_to("#email").await;
        self.type_text(email).await;
        self.press(Key::Tab).await;
        self.type_text(password).await;
        self.press(Key::Enter).await;
        self.wait_for_path("/app").await;
    }

    /// Follows a link of the main navigation with the keyboard.
    pub async fn go_by_nav(&self, path: &str) {
        self.tab_to(&format!("nav a[href='{path}']")).await;
        self.press(Key::Enter).await;
        self.wait_for_path(path).await;
    }

    /// The value of the form control `selector`.
    pub async fn value(&self, selector: &str) -> Value {
        self.script(&format!(
            "return document.querySelector({}).value",
            json!(selector)
        ))
        .await
    }

    /// Whether the checkbox or radio button `selector` is ticked.
    pub async fn ticked(&self, selector: &str) -> bool {
        self.script(&format!(
            "return document.querySelector({}).checked",
            json!(selector)
        ))
        .await
            == json!(true)
    }

    /// Selects all the text of the focused field (Ctrl+A), to type over it.
    pub async fn select_all(&self) {
        let control = char::from(Key::Control);
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: control })
            .then(KeyAction::Down { value: 'a' })
            .then(KeyAction::Up { value: 'a' })
            .then(KeyAction::Up { value: control });
        self.client.perform_actions(actions).await.expect("keys");
    }

    /// Runs `body` as a function in the page (not subject to the page's CSP).
    pub async fn script(&self, body: &str) -> Value {
        self.client
            .execute(body, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("script {body}: {e}"))
    }

    async fn keys(&self, keys: impl IntoIterator<Item = char>) {
        let mut actions = KeyActions::new("keyboard".into());
        for value in keys {
            actions = actions
                .then(KeyAction::Down { value })
                .then(KeyAction::Up { value });
        }
        self.client.perform_actions(actions).await.expect("keys");
    }

    /// Presses one key, as a person at a keyboard would (to whatever has focus).
    pub async fn press(&self, key: Key) {
        self.keys([char::from(key)]).await;
    }

    /// Types `text` into whatever has focus.
    pub async fn type_text(&self, text: &str) {
        self.keys(text.chars()).await;
    }

    /// A short description of the focused element (`tag#id.class` and its text).
    pub async fn focused(&self) -> String {
        self.script(
            "const e = document.activeElement;
             return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
               + (e.className ? '.' + e.className.split(' ').join('.') : '')
               + ' ' + (e.textContent || '').trim();",
        )
        .await
        .as_str()
        .expect("text")
        .to_owned()
    }

    /// The navigation link marked as the page the browser is on (`aria-current`).
    pub async fn current_nav(&self) -> String {
        let link = self
            .script("const a = document.querySelector('nav a[aria-current=page]'); return a && a.textContent;")
            .await;
        link.as_str().unwrap_or_default().to_owned()
    }

    /// Presses Tab until the element `selector` has focus; fails if Tab never reaches it
    /// (the profile's week of hours is 168 stops).
    pub async fn tab_to(&self, selector: &str) {
        let check = format!(
            "const e = document.querySelector({}); if (!e) throw 'no ' + {0}; return document.activeElement === e",
            json!(selector)
        );
        for _ in 0..300 {
            if self.script(&check).await == json!(true) {
                return;
            }
            self.press(Key::Tab).await;
        }
        panic!("Tab never reached {selector}");
    }

    /// What axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules find wrong with the page:
    /// each rule broken, its help and the elements at fault.
    pub async fn accessibility_violations(&self) -> Vec<Value> {
        let loaded = self.script("return typeof window.axe === 'object'").await;
        if loaded != json!(true) {
            self.client
                .execute(AXE, Vec::new())
                .await
                .expect("axe loads");
        }
        let run = format!(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {{ runOnly: {{ type: 'tag', values: {} }}, resultTypes: ['violations'] }})
               .then(r => done(r.violations.map(v => ({{
                   id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary) }}))))
               .catch(e => done('axe failed: ' + e));",
            json!(AXE_TAGS)
        );
        let result = self
            .client
            .execute_async(&run, Vec::new())
            .await
            .expect("axe runs");
        match result {
            Value::Array(violations) => violations,
            other => panic!("{other}"),
        }
    }

    /// Fails if axe-core finds the page breaks a WCAG 2.2 AA rule; counts each run.
    pub async fn check_accessibility(&self, name: &str) {
        let violations = self.accessibility_violations().await;
        let count = AXE_RUNS.fetch_add(1, Ordering::Relaxed) + 1;
        eprintln!(
            "axe run {count}: {name} at {} px, {} violations",
            self.width,
            violations.len()
        );
        if !violations.is_empty() {
            let mut report = String::new();
            for v in &violations {
                report.push_str(&format!("\n{} ({}): {}", v["id"], v["impact"], v["help"]));
                for node in v["nodes"].as_array().into_iter().flatten() {
                    report.push_str(&format!("\n    {}", node.as_str().unwrap_or_default()));
                }
            }
            panic!(
                "{name} at {} px breaks WCAG 2.2 AA rules:{report}",
                self.width
            );
        }
    }

    /// Fails if the page scrolls sideways (WCAG 1.4.10 Reflow: at 320 px nothing but
    /// tables and the like may need it).
    pub async fn check_no_sideways_scroll(&self, name: &str) {
        let sizes = self
            .script("const d = document.documentElement; return [d.scrollWidth, d.clientWidth];")
            .await;
        let (wide, room) = (sizes[0].as_u64(), sizes[1].as_u64());
        if wide <= room && room <= Some(self.width.into()) {
            return;
        }
        // The elements that stick out, innermost first, to say what to fix.
        let culprits = self
            .script(
                "const room = document.documentElement.clientWidth;
                 function* ancestors(e) { while ((e = e.parentElement)) yield e; }
                 return [...document.querySelectorAll('body *')]
                   .filter(e => e.getBoundingClientRect().right > room + 1
                     && !(e.parentElement.closest('*') && [...ancestors(e)].some(a =>
                          a !== e && getComputedStyle(a).overflowX !== 'visible'
                          && a !== document.body && a !== document.documentElement)))
                   .reverse().slice(0, 5)
                   .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                     + (e.className ? '.' + e.className : '') + ' '
                     + Math.round(e.getBoundingClientRect().right));",
            )
            .await;
        panic!(
            "{name} at {} px is {} px wide: it scrolls sideways ({culprits})",
            self.width, sizes[0]
        );
    }

    /// Every element Tab reaches on the page, in order, shows a focus outline.
    pub async fn check_focus_visible(&self, name: &str) {
        let outline = "const e = document.activeElement, s = getComputedStyle(e);
             return [e === document.body, s.outlineStyle, parseFloat(s.outlineWidth)];";
        let mut reached = 0;
        loop {
            self.press(Key::Tab).await;
            let state = self.script(outline).await;
            if state[0] == json!(true) || reached > 50 {
                break;
            }
            let element = self.focused().await;
            assert!(
                state[1] != "none" && state[2].as_f64().unwrap_or(0.0) > 0.0,
                "{name}: {element} has focus but no outline ({state})"
            );
            reached += 1;
        }
        assert!(reached > 0, "{name}: Tab reached nothing");
    }

    /// The checks every page passes: a picture of it (taken first, to see a failure),
    /// axe, no sideways scrolling, no catalogue key shown for want of its words.
    pub async fn check_page(&self, name: &str) {
        self.screenshot(name).await;
        self.check_accessibility(name).await;
        self.check_no_sideways_scroll(name).await;
        let keys = self
            .script("return document.body.innerText.match(/\\blabel-[a-z0-9-]+/g)")
            .await;
        assert_eq!(keys, Value::Null, "{name} shows catalogue keys, not words");
    }

    /// Saves the whole page as `<name>-<width>.png` in `target/screenshots/`, or in
    /// `$SCREENSHOTS_DIR` (to refresh docs/screenshots/).
    pub async fn screenshot(&self, name: &str) {
        let metrics = self.cdp("Page.getLayoutMetrics", json!({})).await;
        let size = &metrics["cssContentSize"];
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": size["width"],
                              "height": size["height"], "scale": 1 },
                }),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("image data"))
            .expect("base64");
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = std::env::var_os("SCREENSHOTS_DIR")
            .map(|d| manifest.join(PathBuf::from(d)))
            .unwrap_or_else(|| manifest.join("target/screenshots"));
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        let file = dir.join(format!("{name}-{}.png", self.width));
        std::fs::write(&file, png).expect("screenshot written");
    }

    /// A Chrome DevTools command, through chromedriver.
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        let url = format!(
            "http://127.0.0.1:{}/session/{}/goog/cdp/execute",
            self.driver_port, self.session
        );
        let response = reqwest::Client::new()
            .post(url)
            .json(&json!({ "cmd": cmd, "params": params }))
            .send()
            .await
            .expect("cdp");
        let ok = response.status().is_success();
        let body: Value = response.json().await.expect("cdp json");
        assert!(ok, "{cmd}: {body}");
        body["value"].clone()
    }
}

/// Ends the browser session even when the test panics (its runtime, and with it the
/// client's own clean-up, may be gone by then): a DELETE from a thread of its own, so
/// Chromium quits before its profile is removed.
impl Drop for Browser {
    fn drop(&mut self) {
        let url = format!(
            "http://127.0.0.1:{}/session/{}",
            self.driver_port, self.session
        );
        let quit = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async { reqwest::Client::new().delete(url).send().await })
        });
        if let Ok(Err(error)) = quit.join() {
            eprintln!("the browser session did not end: {error}");
        }
    }
}
