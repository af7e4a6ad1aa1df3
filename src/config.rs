//! Settings: `config/default.toml` (built into the binary), then `config/local.toml` if
//! present, then the file given with `--config`, then `APP__*` environment variables
//! (`APP__DATABASE__URL` sets `database.url`). Secrets come from the environment, or
//! for the embedded default from a generated file.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::domain::check_in::CheckInSchedule;
use crate::domain::report::MinimumCellSize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub email: EmailSettings,
    pub auth: AuthSettings,
    pub log: LogSettings,
    pub matching: MatchingSettings,
    pub outbox: OutboxSettings,
    pub check_ins: CheckInSettings,
    pub reports: ReportSettings,
    #[serde(default)]
    pub secrets: SecretSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub max_body_bytes: usize,
    /// The largest roster file `POST /sponsors/import` takes.
    pub max_import_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub pool_size: u32,
    /// How long an SQLite statement waits for another connection's lock
    /// (`busy_timeout`) before failing as busy.
    pub lock_wait_ms: u64,
    /// How long a request waits for a pooled connection before failing as busy.
    pub connection_wait_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EmailSettings {
    pub transport: EmailTransport,
    /// Where the file transport leaves each message as an `.eml` file.
    pub file_dir: PathBuf,
    /// The sender, e.g. `Sponsor Match <no-reply@example.org>`.
    pub from: String,
    /// The service's address as people reach it, for links in emails.
    pub public_url: String,
    pub smtp: SmtpSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailTransport {
    File,
    Smtp,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// Empty for a server that takes mail without logging in.
    pub username: String,
    pub password: Option<SecretString>,
    pub timeout_seconds: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain SMTP upgraded with STARTTLS, which must succeed (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine.
    None,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OutboxSettings {
    /// Whether `serve` delivers messages itself; off when a separate `worker` does.
    pub deliver_in_serve: bool,
    pub poll_interval_ms: u64,
    /// Messages claimed per round.
    pub batch_size: u32,
    /// Messages sent at once, each on its own SMTP connection: an SMTP exchange is
    /// mostly waiting, so throughput grows with it.
    pub in_flight: usize,
    /// How long a claimed message is reserved for its worker; after that another
    /// worker may take it (the first one died).
    pub lease_seconds: u64,
    /// Attempts before a message that keeps failing is dead-lettered.
    pub max_attempts: u32,
    /// The first retry waits this long, each next one twice as long, up to the maximum.
    pub retry_base_seconds: u64,
    pub retry_max_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub session_hours: u32,
    pub invite_hours: u32,
    /// How long an emailed link to choose a new password works.
    pub password_reset_minutes: u32,
    pub login_window_seconds: u64,
    pub login_failures_per_account: usize,
    pub login_failures_per_address: usize,
    /// How long a resolved credential is remembered; other instances see a revocation
    /// within this time. Zero looks every request up.
    pub principal_cache_ms: u64,
    pub generated_secrets_file: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MatchingSettings {
    /// How often the rank index applies changes made through other instances.
    pub follow_interval_ms: u64,
    /// How often each instance looks for requests whose answer is overdue.
    pub expiry_interval_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckInSettings {
    /// Days after an introduction on which both sides are asked how it is going.
    pub days: Vec<u32>,
    /// Days without an answer before a check-in counts as silent.
    pub silent_after_days: u32,
}

impl CheckInSettings {
    pub fn schedule(&self) -> anyhow::Result<CheckInSchedule> {
        CheckInSchedule::new(self.days.clone(), self.silent_after_days)
            .map_err(|error| anyhow::anyhow!("check_ins: {error}"))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReportSettings {
    /// Counts from 1 to one less than this are withheld from reports, so that no one
    /// can be recognised in them.
    pub minimum_cell_size: MinimumCellSize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: String,
    pub filter: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SecretSettings {
    /// Signs links sent by email.
    pub token_signing_key: Option<SecretString>,
    /// Keyed hash for stored API keys: a database leak alone cannot check guesses.
    pub api_key_pepper: Option<SecretString>,
}

/// Secrets resolved for use.
#[derive(Clone)]
pub struct Secrets {
    pub token_signing_key: SecretString,
    pub api_key_pepper: SecretString,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("secrets file {path}: {source}")]
    SecretsFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("secrets file {path} is not valid: {message}")]
    SecretsInvalid { path: PathBuf, message: String },
    #[error(
        "with PostgreSQL, set APP__SECRETS__TOKEN_SIGNING_KEY and APP__SECRETS__API_KEY_PEPPER: \
         every instance must share them, so they cannot be generated"
    )]
    SecretsRequired,
}

impl Settings {
    pub fn load(extra_file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(
                include_str!("../config/default.toml"),
                config::FileFormat::Toml,
            ))
            .add_source(config::File::with_name("config/local.toml").required(false));
        if let Some(path) = extra_file {
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
        }
        let settings = builder
            .add_source(
                config::Environment::with_prefix("APP")
                    .prefix_separator("__")
                    .separator("__"),
            )
            .build()?
            .try_deserialize()?;
        Ok(settings)
    }

    pub fn database_url(&self) -> &str {
        self.database.url.expose_secret()
    }

    /// Secrets from the environment (or a config file outside the repository). Only the
    /// embedded default (SQLite) may go without: then they are generated once and kept in
    /// a 0600 file, with a warning that production must set its own. Several instances on
    /// PostgreSQL must share them, so there they are required.
    pub fn secrets(&self) -> Result<Secrets, ConfigError> {
        if let (Some(signing), Some(pepper)) = (
            &self.secrets.token_signing_key,
            &self.secrets.api_key_pepper,
        ) {
            return Ok(Secrets {
                token_signing_key: signing.clone(),
                api_key_pepper: pepper.clone(),
            });
        }
        if !self.database_url().starts_with("sqlite://") {
            return Err(ConfigError::SecretsRequired);
        }
        let path = &self.auth.generated_secrets_file;
        tracing::warn!(
            file = %path.display(),
            "using generated secrets; production must set APP__SECRETS__TOKEN_SIGNING_KEY \
             and APP__SECRETS__API_KEY_PEPPER"
        );
        let generated = load_or_generate_secrets(path)?;
        Ok(Secrets {
            token_signing_key: self
                .secrets
                .token_signing_key
                .clone()
                .unwrap_or(generated.token_signing_key),
            api_key_pepper: self
                .secrets
                .api_key_pepper
                .clone()
                .unwrap_or(generated.api_key_pepper),
        })
    }
}

#[derive(Deserialize)]
struct SecretsFile {
    token_signing_key: String,
    api_key_pepper: String,
}

fn load_or_generate_secrets(path: &Path) -> Result<Secrets, ConfigError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    let io = |source| ConfigError::SecretsFile {
        path: path.to_owned(),
        source,
    };
    if !path.exists() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let contents = format!(
            "# Generated on first start for local use only. Production sets its own\n\
             # secrets through APP__SECRETS__* environment variables.\n\
             token_signing_key = \"{}\"\napi_key_pepper = \"{}\"\n",
            crate::auth::credentials::random_token(""),
            crate::auth::credentials::random_token("")
        );
        // create_new: if another process won the race, read what it wrote.
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(mut file) => file.write_all(contents.as_bytes()).map_err(io)?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    let file: SecretsFile = toml::from_str(&text).map_err(|e| ConfigError::SecretsInvalid {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    Ok(Secrets {
        token_signing_key: file.token_signing_key.into(),
        api_key_pepper: file.api_key_pepper.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_cell_size_is_checked_when_settings_load() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("reports.toml");
        let with = |size: &str| {
            std::fs::write(&file, format!("[reports]\nminimum_cell_size = {size}\n"))
                .expect("written");
            Settings::load(Some(&file))
        };
        let five = with("5").expect("5 is a cell size");
        assert_eq!(five.reports.minimum_cell_size.get(), 5);
        for wrong in ["1", "0", "1001", "-3"] {
            assert!(with(wrong).is_err(), "{wrong} refused");
        }
        let default = Settings::load(None).expect("defaults load");
        assert_eq!(default.reports.minimum_cell_size.get(), 11);
    }

    #[test]
    fn postgres_needs_secrets_from_the_environment() {
        let mut settings = Settings::load(None).expect("defaults load");
        settings.database.url = "postgres://db.example.org/sponsors".to_owned().into();
        settings.secrets = SecretSettings::default();
        assert!(matches!(
            settings.secrets(),
            Err(ConfigError::SecretsRequired)
        ));
        settings.secrets.token_signing_key = Some("signing".to_owned().into());
        settings.secrets.api_key_pepper = Some("pepper".to_owned().into());
        assert!(settings.secrets().is_ok());
    }

    #[test]
    fn the_embedded_default_generates_its_secrets_once_in_a_private_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut settings = Settings::load(None).expect("defaults load");
        settings.secrets = SecretSettings::default();
        settings.auth.generated_secrets_file = dir.path().join("var/secrets.toml");
        let first = settings.secrets().expect("generated");
        let second = settings.secrets().expect("read back");
        assert_eq!(
            first.api_key_pepper.expose_secret(),
            second.api_key_pepper.expose_secret()
        );
        assert_ne!(
            first.api_key_pepper.expose_secret(),
            first.token_signing_key.expose_secret()
        );
        let mode = std::fs::metadata(&settings.auth.generated_secrets_file)
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
