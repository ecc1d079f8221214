//! `doorbraak`: run an organisation's node.
#![forbid(unsafe_code)]

mod client;
mod demo;
mod directory;
mod pki;

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "doorbraak",
    version,
    about = "Doorbraak: the escalation network of Dutch youth care"
)]
struct Cli {
    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Copy, Clone, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run one organisation's node.
    Node {
        /// The node configuration (see deploy/examples/node.toml).
        #[arg(long, short, env = "DOORBRAAK_CONFIG")]
        config: PathBuf,
    },
    /// Start a demo federation on this machine: four nodes, certificates, a seeded scenario.
    Demo {
        /// Where the demo keeps its certificates, databases and federation.json.
        #[arg(long, default_value = "demo-data")]
        dir: PathBuf,
    },
    /// Development PKI: federation CA, node certificates, revocation.
    #[command(subcommand)]
    Pki(pki::PkiCommand),
    /// The federation operator's directory: init, add-member, remove-member, rotate, sign,
    /// verify.
    #[command(subcommand)]
    Directory(directory::DirectoryCommand),
    /// A consistent online backup of a node's database (SQLite; PostgreSQL: pg_dump), checked.
    Backup {
        #[arg(long, short, env = "DOORBRAAK_CONFIG")]
        config: PathBuf,
        /// The backup file to write (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup back (the node stopped). The node then re-learns its own escalations and
    /// meetings from its peers before it decides anything on them. With `--mark-only`, only
    /// mark the database as restored (after restoring PostgreSQL with pg_restore).
    Restore {
        #[arg(long, short, env = "DOORBRAAK_CONFIG")]
        config: PathBuf,
        /// The backup file (from `doorbraak backup`).
        #[arg(long, required_unless_present = "mark_only")]
        from: Option<PathBuf>,
        #[arg(long)]
        mark_only: bool,
    },
    /// Ask a running node whether it is alive (`/healthz`) or ready (`/readyz`, its database
    /// answers), on its monitoring listener if it has one; exits 1 if not. The container
    /// image's health check.
    Health {
        #[arg(long, short, env = "DOORBRAAK_CONFIG")]
        config: PathBuf,
        /// Ask `/readyz` instead of `/healthz`.
        #[arg(long)]
        ready: bool,
    },
    /// The access log's tamper evidence: `audit verify` walks its hash chain and checkpoints.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Meetings and minutes on a node (show, schedule, draft, revise, circulate, approve,
    /// request-changes, addendum, export, print) and offline verification of a bundle.
    Minutes {
        #[command(flatten)]
        conn: client::Conn,
        #[command(subcommand)]
        cmd: MinutesCommand,
    },
    /// Cases on a node.
    Case {
        #[command(flatten)]
        conn: client::Conn,
        #[command(subcommand)]
        cmd: client::CaseCmd,
    },
    /// Escalations on a node: list, show, open, pick-up, step, family-informed, outcome,
    /// situation, close, note.
    Escalation {
        #[command(flatten)]
        conn: client::Conn,
        #[command(subcommand)]
        cmd: client::EscalationCmd,
    },
    /// Kwesties on a node: list, show, raise, pick-up, escalate-to-board, resolve.
    Kwestie {
        #[command(flatten)]
        conn: client::Conn,
        #[command(subcommand)]
        cmd: client::KwestieCmd,
    },
    /// Records on a node: what is due, destruction lists (propose, destroy, reject,
    /// declaration), legal holds, erasure on request, inzage and restriction of a case.
    Records {
        #[command(flatten)]
        conn: client::Conn,
        #[command(subcommand)]
        cmd: client::RecordsCmd,
    },
    /// Oversight on a node: the stagnation view and its trend, the team overview and agenda,
    /// the recommendations register.
    Oversight {
        #[command(flatten)]
        conn: client::Conn,
        #[command(subcommand)]
        cmd: client::OversightCmd,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the node's access log: every row as sealed, no row deleted or inserted past the
    /// node, every checkpoint matching and its signature valid. Exits 1 on any finding.
    Verify {
        /// The node configuration (its database).
        #[arg(long, short, env = "DOORBRAAK_CONFIG")]
        config: PathBuf,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum MinutesCommand {
    #[command(flatten)]
    Api(client::MinutesCmd),
    /// Check an exported minutes bundle (GET /api/v1/meetings/{id}/bundle): every approval of
    /// the final text, its signature, certificate, directory entry and the text's hash.
    Verify {
        /// The bundle (JSON).
        bundle: PathBuf,
        /// The trust anchors (PEM, one or more CA certificates) you trust.
        #[arg(long)]
        ca: PathBuf,
        /// The federation operator's certificate (PEM) you trust: every directory version in
        /// the bundle must be signed by it.
        #[arg(long)]
        operator: PathBuf,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

async fn backup(config: PathBuf, out: PathBuf) -> anyhow::Result<()> {
    let settings = doorbraak_node::NodeConfig::load(&config, std::env::vars())
        .with_context(|| format!("loading {}", config.display()))?;
    if doorbraak_store::backup::sqlite_path(&settings.database_url).is_none() {
        anyhow::bail!(
            "the database is PostgreSQL: back it up with pg_dump --format=custom (docs/beheer.md), \
             and after pg_restore run `doorbraak restore --mark-only`"
        );
    }
    if out.exists() {
        anyhow::bail!("{} exists already; choose a new file", out.display());
    }
    let store = doorbraak_store::Store::connect(&settings.database_url, 2)
        .await
        .context("opening the database")?;
    store
        .backup_into(&out)
        .await
        .with_context(|| format!("writing {}", out.display()))?;
    store.close().await;
    let s = doorbraak_store::backup::check_sqlite_backup(&out)
        .await
        .with_context(|| format!("checking {}", out.display()))?;
    println!(
        "backup written and checked: {} ({} streams, {} events, {} access-log rows)",
        out.display(),
        s.streams,
        s.events,
        s.access_log
    );
    Ok(())
}

/// `doorbraak health`: one GET on the node's own listener (an unspecified address is asked
/// on loopback), five seconds at most.
async fn health(config: PathBuf, ready: bool) -> anyhow::Result<()> {
    let settings = doorbraak_node::NodeConfig::load(&config, std::env::vars())
        .with_context(|| format!("loading {}", config.display()))?;
    let mut addr = settings.admin_listen.unwrap_or(settings.http_listen);
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv6() {
            std::net::Ipv6Addr::LOCALHOST.into()
        } else {
            std::net::Ipv4Addr::LOCALHOST.into()
        });
    }
    let url = format!("http://{addr}/{}", if ready { "readyz" } else { "healthz" });
    // plain http on loopback: no proxy, no certificate store needed (a minimal image has none)
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .no_proxy()
        .tls_certs_only([])
        .build()
        .context("building the HTTP client")?;
    let resp = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("asking {url}"))?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        anyhow::bail!("{url}: {status} {}", body.trim());
    }
    println!("{url}: {}", body.trim());
    Ok(())
}

async fn restore(config: PathBuf, from: Option<PathBuf>, mark_only: bool) -> anyhow::Result<()> {
    let settings = doorbraak_node::NodeConfig::load(&config, std::env::vars())
        .with_context(|| format!("loading {}", config.display()))?;
    // the node must be stopped: a running one holds its SQLite file
    let _lock = doorbraak_store::process_lock::ProcessLock::acquire(&settings.database_url)
        .context("the node must be stopped before a restore")?;
    if !mark_only {
        let Some(db) = doorbraak_store::backup::sqlite_path(&settings.database_url) else {
            anyhow::bail!(
                "the database is PostgreSQL: restore it with pg_restore (docs/beheer.md), then run \
                 `doorbraak restore --mark-only`"
            );
        };
        let from = from.context("--from is required")?;
        let s = doorbraak_store::backup::check_sqlite_backup(&from)
            .await
            .with_context(|| format!("checking {}", from.display()))?;
        // the copy goes next to the database first, then replaces it in one rename
        let tmp = db.with_extension("db.restoring");
        std::fs::copy(&from, &tmp).with_context(|| format!("copying {}", from.display()))?;
        for ext in ["db-wal", "db-shm"] {
            let _ = std::fs::remove_file(db.with_extension(ext));
        }
        std::fs::rename(&tmp, &db).with_context(|| format!("replacing {}", db.display()))?;
        println!(
            "restored {} from {} ({} streams, {} events)",
            db.display(),
            from.display(),
            s.streams,
            s.events
        );
    }
    let store = doorbraak_store::Store::connect(&settings.database_url, 2)
        .await
        .context("opening the restored database")?;
    store
        .mark_restored(doorbraak_model::Timestamp::now())
        .await?;
    store.close().await;
    println!(
        "marked as restored: at its next start the node re-learns its escalations and meetings \
         from the other members before it decides anything on them"
    );
    Ok(())
}

async fn verify_audit(config: PathBuf, json: bool) -> anyhow::Result<bool> {
    let settings = doorbraak_node::NodeConfig::load(&config, std::env::vars())
        .with_context(|| format!("loading {}", config.display()))?;
    let store = doorbraak_store::Store::connect(&settings.database_url, 2)
        .await
        .with_context(|| "opening the database")?;
    let r = doorbraak_app::access_chain::verify(&store, &settings.app.data_dir).await?;
    let (findings, links, unsealed, signed) =
        (r.findings, r.links, r.unsealed, r.signed_checkpoints);
    let (segments, archived) = (r.archived_segments, r.archived_rows);
    let checkpoints = r.checkpoints;
    store.close().await;
    if json {
        println!(
            "{}",
            serde_json::json!({ "valid": findings.is_empty(), "findings": findings, "links": links,
                "checkpoints": checkpoints, "signed_checkpoints": signed, "unsealed": unsealed,
                "archived_segments": segments, "archived_rows": archived })
        );
    } else if findings.is_empty() {
        println!(
            "valid: {links} sealed rows, {checkpoints} checkpoints ({signed} signed), {archived} rows in {segments} archived segments{}",
            if unsealed > 0 {
                format!("; {unsealed} newer rows not sealed yet")
            } else {
                String::new()
            }
        );
    } else {
        println!("TAMPERED: the access log does not match its chain");
        for f in &findings {
            println!("  - {f}");
        }
    }
    Ok(findings.is_empty())
}

fn verify_minutes(
    bundle: PathBuf,
    ca: PathBuf,
    operator: PathBuf,
    json: bool,
) -> anyhow::Result<bool> {
    let pem = std::fs::read_to_string(&ca).with_context(|| format!("reading {}", ca.display()))?;
    let trusted = doorbraak_federation::crypto::pem_certificates(&pem)
        .map_err(|e| anyhow::anyhow!("{}: {e}", ca.display()))?;
    let operator_fp = doorbraak_federation::identity::fingerprint(
        &doorbraak_federation::operator::read_cert(&operator)?,
    );
    let text = std::fs::read_to_string(&bundle)
        .with_context(|| format!("reading {}", bundle.display()))?;
    let b: doorbraak_federation::signing::MinutesBundle = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a minutes bundle", bundle.display()))?;
    let problems = doorbraak_federation::signing::verify_bundle(&b, &trusted, &operator_fp);
    let approvals = b.minutes.main.as_ref().map_or(0, |d| d.approvals.len());
    if json {
        println!(
            "{}",
            serde_json::json!({ "valid": problems.is_empty(), "problems": problems, "approvals": approvals })
        );
    } else if problems.is_empty() {
        println!(
            "valid: {approvals} signed approvals of the final text of minutes {}",
            b.minutes.id
        );
    } else {
        println!("INVALID: minutes {}", b.minutes.id);
        for p in &problems {
            println!("  - {p}");
        }
    }
    Ok(problems.is_empty())
}

/// Log lines to stderr (text or JSON); with `telemetry`, the spans also go to an
/// OpenTelemetry collector over OTLP/gRPC. Returns the tracer provider to flush at the end.
fn init_tracing(
    format: LogFormat,
    telemetry: Option<(&doorbraak_node::config::TelemetrySection, &str)>,
) -> Option<opentelemetry_sdk::trace::SdkTracerProvider> {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let fmt = match format {
        // colours only on a terminal (not in a journal or a container's log), never with NO_COLOR
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(
                std::io::IsTerminal::is_terminal(&std::io::stderr())
                    && std::env::var_os("NO_COLOR").is_none(),
            )
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let provider = telemetry.and_then(|(t, instance)| {
        let endpoint = t.otlp_endpoint.as_deref()?;
        match otlp_provider(endpoint, &t.service_name, instance) {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("warning: no OpenTelemetry export to {endpoint}: {e:#}");
                None
            }
        }
    });
    let otel = provider
        .as_ref()
        .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("doorbraak")));
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .init();
    provider
}

/// The OTLP/gRPC span exporter behind a batch processor.
fn otlp_provider(
    endpoint: &str,
    service: &str,
    instance: &str,
) -> anyhow::Result<opentelemetry_sdk::trace::SdkTracerProvider> {
    use opentelemetry_otlp::WithExportConfig as _;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_timeout(std::time::Duration::from_secs(5))
        .build()?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(service.to_owned())
        .with_attribute(opentelemetry::KeyValue::new(
            "service.instance.id",
            instance.to_owned(),
        ))
        .build();
    Ok(opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

async fn run_node(config: PathBuf, format: LogFormat) -> anyhow::Result<()> {
    let settings = match doorbraak_node::NodeConfig::load(&config, std::env::vars()) {
        Ok(s) => s,
        Err(e) => {
            init_tracing(format, None);
            return Err(e).with_context(|| format!("loading {}", config.display()));
        }
    };
    let instance = format!("{}/{}", settings.app.oin, settings.app.instance);
    let provider = init_tracing(format, Some((&settings.telemetry, &instance)));
    let result = serve_node(settings).await;
    // the spans still in the batch go out before the process ends
    if let Some(p) = provider
        && let Err(e) = p.shutdown()
    {
        eprintln!("warning: flushing the OpenTelemetry export failed: {e}");
    }
    result
}

async fn serve_node(settings: doorbraak_node::Settings) -> anyhow::Result<()> {
    let node = doorbraak_node::server::open(settings).await?;
    #[cfg(unix)]
    {
        // SIGHUP: re-read and verify the directory manifest
        let n = node.clone();
        if let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        {
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    match n.reload_directory().await {
                        Ok(m) => tracing::info!(members = m, "directory reloaded"),
                        Err(e) => {
                            tracing::error!(error = %e, "directory reload refused; keeping the old one")
                        }
                    }
                }
            });
        }
    }
    doorbraak_node::server::run(node, shutdown_signal(), |bound| {
        // a machine-readable line for scripts and tests
        let mut out = std::io::stdout();
        let grpc = bound.grpc.map(|g| format!(" grpc={g}")).unwrap_or_default();
        let _ = writeln!(out, "READY http={}{grpc}", bound.http);
        let _ = out.flush();
    })
    .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // one crypto provider for every TLS user in the process
    let _ = rustls_provider();
    let cli = Cli::parse();
    // a node sets up its tracing once its configuration says where spans go
    if !matches!(cli.command, Command::Node { .. }) {
        init_tracing(cli.log_format, None);
    }
    let result = match cli.command {
        Command::Node { config } => run_node(config, cli.log_format).await,
        Command::Demo { dir } => demo::run(dir, shutdown_signal()).await,
        Command::Pki(cmd) => pki::run(cmd),
        Command::Directory(cmd) => directory::run(cmd),
        Command::Backup { config, out } => backup(config, out).await,
        Command::Restore {
            config,
            from,
            mark_only,
        } => restore(config, from, mark_only).await,
        Command::Health { config, ready } => health(config, ready).await,
        Command::Audit(AuditCommand::Verify { config, json }) => {
            match verify_audit(config, json).await {
                Ok(true) => Ok(()),
                Ok(false) => return std::process::ExitCode::from(1),
                Err(e) => Err(e),
            }
        }
        Command::Minutes {
            cmd:
                MinutesCommand::Verify {
                    bundle,
                    ca,
                    operator,
                    json,
                },
            ..
        } => match verify_minutes(bundle, ca, operator, json) {
            Ok(true) => Ok(()),
            Ok(false) => return std::process::ExitCode::from(1),
            Err(e) => Err(e),
        },
        Command::Minutes {
            conn,
            cmd: MinutesCommand::Api(cmd),
        } => client::run(conn, cmd).await,
        Command::Oversight { conn, cmd } => client::run_oversight(conn, cmd).await,
        Command::Case { conn, cmd } => client::run_case(conn, cmd).await,
        Command::Escalation { conn, cmd } => client::run_escalation(conn, cmd).await,
        Command::Kwestie { conn, cmd } => client::run_kwestie(conn, cmd).await,
        Command::Records { conn, cmd } => client::run_records(conn, cmd).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn rustls_provider() -> bool {
    doorbraak_federation::tls::install_default_provider()
}
