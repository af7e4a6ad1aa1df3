//! The test harness: a real server on port 0 over a fresh database per test.
//!
//! SQLite by default (a file in a temporary directory). With `TEST_DATABASE_URL` set
//! to a PostgreSQL URL, each test gets its own database, created from that server and
//! dropped when the test ends.

use std::process::{Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sponsor_match::auth::credentials::NewPassword;
use sponsor_match::config::Settings;
use sponsor_match::domain::ids::{ProgramId, UserId};
use sponsor_match::startup::Application;
use sponsor_match::store::{Db, accounts, write_transaction};

pub const PASSWORD: &str = "correct horse battery staple";

/// A running service and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    settings: Settings,
    _database: TestDatabase,
    _dir: tempfile::TempDir,
}

enum TestDatabase {
    Sqlite,
    Postgres { admin_url: String, name: String },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Off the async runtime: diesel connections block.
            let _ = std::thread::spawn(move || {
                if let Ok(mut conn) = PgConnection::establish(&admin_url) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn);
                }
            })
            .join();
        }
    }
}

fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt().with_env_filter("info").try_init();
        }
    });
}

/// Drops databases left by test runs that crashed, once per process.
fn sweep_leftovers(conn: &mut PgConnection) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[derive(diesel::QueryableByName)]
        struct Name {
            #[diesel(sql_type = diesel::sql_types::Text)]
            datname: String,
        }
        let names: Vec<Name> =
            diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'sm\\_test\\_%'")
                .load(conn)
                .unwrap_or_default();
        let hour_ago = uuid::Uuid::now_v7()
            .get_timestamp()
            .map(|t| t.to_unix().0.saturating_sub(3600))
            .unwrap_or(0);
        for Name { datname } in names {
            let created = datname
                .strip_prefix("sm_test_")
                .and_then(|hex| uuid::Uuid::parse_str(hex).ok())
                .and_then(|id| id.get_timestamp())
                .map(|t| t.to_unix().0);
            if created.is_some_and(|t| t < hour_ago) {
                let _ =
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS {datname} WITH (FORCE)"))
                        .execute(conn);
            }
        }
    });
}

type SettingsChange = Box<dyn FnOnce(&mut Settings)>;

pub struct Builder {
    configure: Vec<SettingsChange>,
}

impl Builder {
    pub fn with(mut self, change: impl FnOnce(&mut Settings) + 'static) -> Self {
        self.configure.push(Box::new(change));
        self
    }

    pub async fn spawn(self) -> TestApp {
        init_logging();
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut settings = Settings::load(None).expect("settings");
        settings.server.port = 0;
        settings.database.pool_size = 4;
        settings.email.file_dir = dir.path().join("mail");
        settings.auth.generated_secrets_file = dir.path().join("secrets.toml");
        let database = match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("sm_test_{}", uuid::Uuid::now_v7().simple());
                // OpenSSL set up before libpq does, as `store::ConnectionManager` does: else
                // its exit-time clean-up can free state under threads still connected, and
                // the test process dies of SIGSEGV as it exits.
                openssl_sys::init();
                let mut conn = PgConnection::establish(&admin_url).expect("PostgreSQL reachable");
                sweep_leftovers(&mut conn);
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create test database");
                let (base, _) = admin_url.rsplit_once('/').expect("URL names a database");
                settings.database.url = format!("{base}/{name}").into();
                settings.secrets.token_signing_key = Some("test-signing-key".into());
                settings.secrets.api_key_pepper = Some("test-pepper".into());
                TestDatabase::Postgres { admin_url, name }
            }
            _ => {
                settings.database.url =
                    format!("sqlite://{}", dir.path().join("test.db").display()).into();
                TestDatabase::Sqlite
            }
        };
        for change in self.configure {
            change(&mut settings);
        }
        let db = Db::connect(settings.database_url(), 2).expect("database");
        let app = Application::build(settings.clone())
            .await
            .expect("application starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            client: reqwest::Client::new(),
            db,
            settings,
            _database: database,
            _dir: dir,
        }
    }
}

/// A person's or portal's credential, ready for requests.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token: String,
    pub user_id: Option<UserId>,
    pub program_id: ProgramId,
}

impl TestApp {
    pub fn builder() -> Builder {
        Builder {
            configure: Vec::new(),
        }
    }

    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await
    }

    /// A second instance of the service on the same database; its base address.
    pub async fn another_instance(&self) -> String {
        let app = Application::build(self.settings.clone())
            .await
            .expect("second instance starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.address, path))
    }

    pub fn get(&self, path: &str, caller: &Caller) -> RequestBuilder {
        self.request(Method::GET, path).bearer_auth(&caller.token)
    }

    pub fn post(&self, path: &str, caller: &Caller, body: &Value) -> RequestBuilder {
        self.request(Method::POST, path)
            .bearer_auth(&caller.token)
            .json(body)
    }

    pub fn put(&self, path: &str, caller: &Caller, body: &Value) -> RequestBuilder {
        self.request(Method::PUT, path)
            .bearer_auth(&caller.token)
            .json(body)
    }

    /// A new program and its first admin, as `create-admin` makes them, logged in.
    pub async fn create_program(&self, name: &str) -> Caller {
        let email = format!("admin-{}@example.org", uuid::Uuid::now_v7().simple());
        let hash = NewPassword::parse(PASSWORD.into())
            .expect("password")
            .hash();
        let (program, name, login) = (name.to_owned(), email.clone(), email.clone());
        self.db
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    accounts::create_program_with_admin(
                        conn,
                        "create-admin",
                        &program,
                        &name,
                        "Admin",
                        hash,
                    )
                })
            })
            .await
            .expect("program created");
        self.login(&login, PASSWORD).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Caller {
        let response = self
            .request(Method::POST, "/api/v1/auth/login")
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("login request");
        let body = expect_json(response, StatusCode::OK).await;
        Caller {
            token: body["token"].as_str().expect("token").to_owned(),
            user_id: Some(
                body["user"]["id"]
                    .as_str()
                    .expect("id")
                    .parse()
                    .expect("uuid"),
            ),
            program_id: body["user"]["program_id"]
                .as_str()
                .expect("program")
                .parse()
                .expect("uuid"),
        }
    }

    /// Invites a person with `role` into the admin's program, accepts, logs in.
    pub async fn add_user(&self, admin: &Caller, role: &str) -> Caller {
        let email = format!("{role}-{}@example.org", uuid::Uuid::now_v7().simple());
        let invite = self
            .post(
                "/api/v1/invites",
                admin,
                &json!({ "email": email, "display_name": "Pat", "role": role }),
            )
            .send()
            .await
            .expect("invite");
        let invite = expect_json(invite, StatusCode::CREATED).await;
        let accepted = self
            .request(Method::POST, "/api/v1/invites/accept")
            .json(&json!({ "token": invite["token"], "password": PASSWORD }))
            .send()
            .await
            .expect("accept");
        expect_json(accepted, StatusCode::OK).await;
        self.login(&email, PASSWORD).await
    }

    pub async fn add_portal_key(&self, admin: &Caller) -> Caller {
        let response = self
            .post(
                "/api/v1/api-keys",
                admin,
                &json!({ "name": "intake portal" }),
            )
            .send()
            .await
            .expect("create key");
        let body = expect_json(response, StatusCode::CREATED).await;
        Caller {
            token: body["key"].as_str().expect("key").to_owned(),
            user_id: None,
            program_id: admin.program_id,
        }
    }

    pub async fn create_seeker(&self, caller: &Caller) -> Value {
        let response = self
            .post("/api/v1/seekers", caller, &seeker_body())
            .send()
            .await
            .expect("create seeker");
        expect_json(response, StatusCode::CREATED).await
    }

    /// A new sponsor of the admin's program with the standard profile, changed by `change`.
    pub async fn add_sponsor(&self, admin: &Caller, change: impl FnOnce(&mut Value)) -> Caller {
        let sponsor = self.add_user(admin, "sponsor").await;
        let mut body = sponsor_body();
        change(&mut body);
        let response = self
            .put("/api/v1/sponsors/me", &sponsor, &body)
            .send()
            .await
            .expect("put profile");
        expect_json(response, StatusCode::OK).await;
        sponsor
    }

    /// The settings the service runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The built binary, configured for this test's database and secrets.
    pub fn command(&self) -> Command {
        let secrets = self.settings.secrets().expect("secrets");
        let mut command = Command::new(env!("CARGO_BIN_EXE_sponsor-match"));
        command
            .env("APP__DATABASE__URL", self.settings.database_url())
            .env(
                "APP__SECRETS__TOKEN_SIGNING_KEY",
                secrets.token_signing_key.expose_secret(),
            )
            .env(
                "APP__SECRETS__API_KEY_PEPPER",
                secrets.api_key_pepper.expose_secret(),
            );
        command
    }

    pub async fn put_sponsor_profile(&self, sponsor: &Caller) -> Value {
        let response = self
            .put("/api/v1/sponsors/me", sponsor, &sponsor_body())
            .send()
            .await
            .expect("put profile");
        expect_json(response, StatusCode::OK).await
    }
}

/// Asserts the status and returns the JSON body.
pub async fn expect_json(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON body")
    }
}

/// Asserts an RFC 9457 problem response and returns it.
pub async fn expect_problem(response: Response, status: StatusCode) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let problem = expect_json(response, status).await;
    assert_eq!(content_type, "application/problem+json", "{problem}");
    assert_eq!(problem["status"], status.as_u16(), "{problem}");
    assert!(
        problem["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("urn:problem:sponsor-match:")),
        "{problem}"
    );
    assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
    assert_eq!(problem["request_id"], request_id.as_str(), "{problem}");
    problem
}

/// The fields a validation problem names.
pub fn invalid_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

pub fn seeker_body() -> Value {
    // Far enough ahead that the seeker's requests are not urgent.
    let discharge = chrono::Utc::now().date_naive() + chrono::Duration::days(30);
    json!({
        "alias": "Jo",
        "fellowships": ["aa"],
        "gender": "woman",
        "languages": ["en"],
        "time_zone": "America/Chicago",
        "availability": { "tue": [19, 20], "sun": [10, 11] },
        "meeting": { "video": true, "in_person": { "latitude": 41.88, "longitude": -87.63, "radius_km": 10 } },
        "needs": ["supports_mat"],
        "preferences": { "attributes": ["lgbtq_affirming"], "age_bands": ["30_39"], "meeting_modes": ["video"] },
        "discharge_date": discharge.to_string(),
        "internal_notes": "Prefers evening calls.",
        "contact": { "email": "jo@example.org", "phone": "+13125550100" }
    })
}

pub fn sponsor_body() -> Value {
    json!({
        "alias": "Sam",
        "fellowships": ["aa", "na"],
        "sobriety_date": "2019-03-01",
        "gender": "woman",
        "sponsors": { "rule": "same_gender" },
        "age_band": "40_49",
        "languages": ["en", "es"],
        "time_zone": "America/Chicago",
        "availability": { "mon": [18, 19, 20], "sat": [9, 10] },
        "meeting": { "phone": true, "in_person": { "latitude": 41.88, "longitude": -87.63, "radius_km": 15 } },
        "capacity": 3,
        "attributes": ["supports_mat", "lgbtq_affirming"],
        "contact": { "email": "sam@example.org" }
    })
}

pub fn consent_body() -> Value {
    let now = chrono::Utc::now();
    json!({
        "discloser": "Riverside Treatment Center",
        "recipient_class": "candidate_sponsors",
        "information": ["alias", "fellowships", "needs", "availability", "meeting_area"],
        "purpose": "To find a peer sponsor in recovery",
        "signed_by": "Jo",
        "signed_at": (now - chrono::Duration::hours(1)).to_rfc3339(),
        "expires_at": (now + chrono::Duration::days(180)).to_rfc3339(),
        "revocation_instructions": "Tell your case manager or write to privacy@riverside.example.org"
    })
}

/// The built binary, serving from `dir` on a free port.
pub struct Binary {
    child: std::process::Child,
    port: u16,
}

impl Binary {
    pub async fn serve(dir: &std::path::Path, log: Stdio) -> Self {
        Self::serve_with(dir, log, &[]).await
    }

    /// Serves with extra environment (configuration) for the process.
    pub async fn serve_with(dir: &std::path::Path, log: Stdio, env: &[(String, String)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_sponsor-match"))
            .arg("serve")
            .current_dir(dir)
            .env("APP__SERVER__PORT", port.to_string())
            .env("APP__LOG__FORMAT", "json")
            .env_remove("APP__DATABASE__URL")
            .env_remove("RUST_LOG")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let binary = Self { child, port };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = client.get(binary.url("/readyz")).send().await;
            if ready.is_ok_and(|r| r.status() == StatusCode::OK) {
                return binary;
            }
            assert!(
                Instant::now() < deadline,
                "the service did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `kill -<signal>`, then the exit status.
    pub async fn stop(mut self, signal: &str) -> std::process::ExitStatus {
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the service did not stop");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
