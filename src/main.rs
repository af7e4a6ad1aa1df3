//! The command line: serve, worker, migrate, create-admin, import, demo-data.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use sponsor_match::auth::credentials::{NewPassword, random_token};
use sponsor_match::config::Settings;
use sponsor_match::delivery::worker::Worker;
use sponsor_match::domain::ids::ProgramId;
use sponsor_match::domain::roster::ImportMode;
use sponsor_match::domain::values::{EmailAddress, Label, PersonName};
use sponsor_match::service::ServiceError;
use sponsor_match::service::roster::{import_sponsors, progress_bar};
use sponsor_match::startup::Application;
use sponsor_match::store::roster::Importer;
use sponsor_match::store::{Db, StoreError, Waits, accounts, write_transaction};
use sponsor_match::telemetry;

/// Serving a request allocates many small, short-lived values across threads; mimalloc
/// does that with less locking and less time than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(version, about = "Pairs people new to recovery with sponsors")]
struct Cli {
    /// A TOML file layered over config/default.toml and config/local.toml.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (applies pending migrations first).
    Serve,
    /// Deliver queued messages (email) without serving HTTP; run beside `serve` with
    /// `outbox.deliver_in_serve = false`, as many as needed.
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a program and its first program admin.
    CreateAdmin {
        /// The program's name, e.g. "Riverside Treatment Center".
        #[arg(long)]
        program: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The admin's password; generated and printed once when not given.
        #[arg(long, env = "SPONSOR_MATCH_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Import records into a program.
    Import {
        #[command(subcommand)]
        what: Import,
    },
    /// Fill the database with a demo program of synthetic sponsors and seekers.
    DemoData {
        #[arg(long, default_value_t = 1000)]
        sponsors: usize,
        #[arg(long, default_value_t = 50)]
        seekers: usize,
        /// The same seed makes the same people.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum Import {
    /// A roster of sponsors (CSV, see docs/case-managers.md): each new one is invited
    /// by email. Importing the same file again changes nothing.
    Sponsors {
        file: PathBuf,
        /// The program's id, as `create-admin` printed it.
        #[arg(long)]
        program: ProgramId,
        /// `all-or-nothing`: any rejected row and nothing is written; `skip-invalid`:
        /// the valid rows are written.
        #[arg(long, default_value = "all-or-nothing")]
        mode: ImportMode,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    telemetry::init_logging(&settings.log);
    match cli.command {
        Command::Serve => {
            let app = Application::build(settings).await?;
            app.run_until_signalled().await?;
        }
        Command::Worker => {
            let secrets = settings.secrets()?;
            let db = Db::connect_with(
                settings.database_url(),
                settings.database.pool_size,
                Waits::from_settings(&settings.database),
            )?;
            db.migrate().await?;
            let worker = Worker::new(&settings, &secrets, db)?;
            tracing::info!("delivering queued messages");
            tokio::select! {
                () = worker.run() => {}
                () = terminated() => tracing::info!("stopping"),
            }
        }
        Command::Migrate => {
            let db = Db::connect(settings.database_url(), 1)?;
            let applied = db.migrate().await?;
            println!("{applied} migration(s) applied");
        }
        Command::CreateAdmin {
            program,
            email,
            name,
            password,
        } => create_admin(&settings, program, email, name, password).await?,
        Command::Import {
            what:
                Import::Sponsors {
                    file,
                    program,
                    mode,
                },
        } => import_roster(&settings, &file, program, mode).await?,
        Command::DemoData {
            sponsors,
            seekers,
            seed,
        } => {
            let db = Db::connect(settings.database_url(), 2)?;
            db.migrate().await?;
            let demo = sponsor_match::demo::fill(&db, sponsors, seekers, seed).await?;
            println!("program {}", demo.program);
            println!(
                "program admin {} password {}",
                demo.admin_email, demo.password
            );
            println!("(every demo sponsor shares that password)");
        }
    }
    Ok(())
}

/// Resolves on SIGTERM or SIGINT. A message in flight when the worker stops is sent
/// again by the next worker once its lease ends; receivers drop the repeat by its
/// Message-ID.
async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut terminate), Ok(mut interrupt)) => {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}

async fn create_admin(
    settings: &Settings,
    program: String,
    email: String,
    name: String,
    password: Option<String>,
) -> anyhow::Result<()> {
    let program = Label::parse(program).map_err(|e| anyhow::anyhow!("--program {}", e.message))?;
    let email = EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("--email {}", e.message))?;
    let name = PersonName::parse(name).map_err(|e| anyhow::anyhow!("--name {}", e.message))?;
    let generated = password.is_none();
    let password = password.unwrap_or_else(|| random_token(""));
    let hash = NewPassword::parse(password.clone())
        .map_err(|e| anyhow::anyhow!("password {}", e.message))?
        .hash();
    let db = Db::connect(settings.database_url(), 1)?;
    db.migrate().await?;
    let (program_id, user) = db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                accounts::create_program_with_admin(
                    conn,
                    "create-admin",
                    program.as_str(),
                    email.as_str(),
                    name.as_str(),
                    hash,
                )
            })
        })
        .await
        .context("creating the program")?;
    println!("program {program_id}");
    println!("program admin {} <{}>", user.id, user.email);
    if generated {
        println!("password {password}");
        println!("(shown once; log in and keep it somewhere safe)");
    }
    Ok(())
}

async fn import_roster(
    settings: &Settings,
    file: &std::path::Path,
    program: ProgramId,
    mode: ImportMode,
) -> anyhow::Result<()> {
    let csv = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let secrets = settings.secrets()?;
    let db = Db::connect(settings.database_url(), 2)?;
    db.migrate().await?;
    let bar = progress_bar(0, "sponsors");
    let started = std::time::Instant::now();
    let imported = import_sponsors(
        &db,
        settings,
        &secrets,
        Importer::Operator(program),
        csv,
        mode,
        &bar,
    )
    .await;
    bar.finish_and_clear();
    let report = match imported {
        Ok(report) => report,
        Err(ServiceError::RosterRejected(rejected)) => {
            rejected.iter().for_each(|r| println!("{r}"));
            anyhow::bail!("rows were rejected; nothing was imported");
        }
        Err(ServiceError::Store(StoreError::NotFound)) => anyhow::bail!("no program {program}"),
        Err(error) => return Err(error).context("importing"),
    };
    println!(
        "created {}, updated {}, unchanged {}, left to sponsor {}, rejected {} (in {:.1} s)",
        report.created,
        report.updated,
        report.unchanged,
        report.left_to_sponsor,
        report.rejected_rows(),
        started.elapsed().as_secs_f64(),
    );
    report.rejected.iter().for_each(|r| println!("{r}"));
    Ok(())
}
