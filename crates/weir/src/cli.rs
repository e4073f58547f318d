//! Command-line interface: `serve`, `proxy`, `admin`, `apply`, `export`,
//! `check`, `import`, `echo`, `probe`, `version`.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use weir_core::yaml::{parse_document, to_yaml};
use weir_core::{ConfigDocument, compile};
use weir_store::{RevisionMeta, RevisionSummary, Store, StoreError};

use crate::config::ProcessConfig;
use crate::serve::{Gateway, Roles};

/// What `weir version` and `weir --version` print after the name: the
/// package version, the commit and the build date (stamped by build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("WEIR_BUILD_COMMIT"),
    ", built ",
    env!("WEIR_BUILD_DATE"),
    ")"
);

#[derive(Debug, Parser)]
#[command(name = "weir", version = VERSION, about = "Weir, an API gateway", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway: data plane and admin listener in one process.
    Serve(ServeArgs),
    /// Run only the data plane (cluster mode: several proxies share a store).
    Proxy(ServeArgs),
    /// Run only the admin listener against the store.
    Admin(ServeArgs),
    /// Make the store's configuration equal to a YAML file, as one revision.
    Apply(ApplyArgs),
    /// Print the store's configuration as YAML that `apply` accepts.
    Export(ExportArgs),
    /// Validate a YAML configuration file without touching the store.
    Check(CheckArgs),
    /// Read another gateway's configuration and write it as one revision.
    #[command(subcommand)]
    Import(ImportSource),
    /// Run a test upstream that echoes each request back as JSON.
    Echo(EchoArgs),
    /// GET a health endpoint (e.g. http://127.0.0.1:9081/readyz); exit 0 on
    /// a 2xx answer, 1 otherwise. For container health checks (the image
    /// has no curl).
    Probe(ProbeArgs),
    /// Print the version, the commit and the build date.
    Version,
}

/// Where the process configuration and the store come from.
#[derive(Debug, Args)]
struct ConfigArgs {
    /// Process configuration file (TOML). Default: ./weir.toml if present.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Store URL; overrides store.url and WEIR_STORE_URL.
    #[arg(long, value_name = "URL")]
    store: Option<String>,
}

impl ConfigArgs {
    fn load(&self) -> anyhow::Result<ProcessConfig> {
        let mut cfg = ProcessConfig::load(self.config.as_deref(), std::env::vars())?;
        if let Some(url) = &self.store {
            cfg.store.url = url.clone();
        }
        Ok(cfg)
    }
}

/// A remote gateway's admin API instead of the store.
#[derive(Debug, Args)]
struct RemoteArgs {
    /// Admin API of a running gateway (e.g. http://127.0.0.1:9080); the
    /// store is then not opened. Also WEIR_SERVER.
    #[arg(long, value_name = "URL", env = "WEIR_SERVER")]
    server: Option<String>,
    /// API token for --server (prefer the WEIR_API_TOKEN variable: command
    /// lines are visible to other users of the machine).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "WEIR_API_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
}

impl RemoteArgs {
    fn remote(&self) -> anyhow::Result<Option<crate::remote::Remote>> {
        match (&self.server, &self.token) {
            (None, _) => Ok(None),
            (Some(server), Some(token)) => Ok(Some(crate::remote::Remote {
                server: server.clone(),
                token: token.clone(),
            })),
            (Some(_), None) => anyhow::bail!("--server needs --token (or WEIR_API_TOKEN)"),
        }
    }
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// HTTP listen address; overrides listen.http.
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
    /// Admin listen address; overrides listen.admin.
    #[arg(long, value_name = "ADDR")]
    admin: Option<SocketAddr>,
    /// Log level or filter; overrides log.level.
    #[arg(long, value_name = "LEVEL")]
    log_level: Option<String>,
    /// Zero-downtime upgrade: take the listening sockets over from the weir
    /// answering on this Unix socket (which then drains and exits), or bind
    /// fresh ones when none answers; then answer here for the next upgrade
    /// (docs/operations.md).
    #[arg(long, value_name = "PATH", env = "WEIR_UPGRADE_SOCKET")]
    upgrade_socket: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ApplyArgs {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    remote: RemoteArgs,
    /// The configuration file, or `-` for standard input.
    #[arg(long, short = 'f', value_name = "FILE")]
    file: PathBuf,
    /// Print the difference only; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Apply only when the store has no configuration yet (first start).
    #[arg(long)]
    if_empty: bool,
    /// Author recorded in the revision. Default: $USER.
    #[arg(long)]
    author: Option<String>,
    /// Summary recorded in the revision. Default: generated from the diff.
    #[arg(long, short = 'm')]
    message: Option<String>,
    /// Then wait until every alive gateway serves the store's revision, up
    /// to TIMEOUT (default 60s); print how long it took, or the nodes that
    /// did not get there (exit code 1).
    #[arg(
        long,
        value_name = "TIMEOUT",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "60s"
    )]
    wait: Option<weir_core::HumanDuration>,
}

#[derive(Debug, Args)]
struct ExportArgs {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    remote: RemoteArgs,
    /// Include tenant secrets and signing keys (omitted by default; `apply`
    /// keeps stored secrets that a file omits).
    #[arg(long)]
    include_secrets: bool,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The configuration file, or `-` for standard input.
    #[arg(long, short = 'f', value_name = "FILE")]
    file: PathBuf,
}

#[derive(Debug, Subcommand)]
enum ImportSource {
    /// go-gateway's MySQL database: services, rules, load balancing, access
    /// control and tenants (see docs/migrating-from-go-gateway.md). The
    /// store's services and tenants become exactly the imported ones.
    GoGateway(GoGatewayArgs),
}

#[derive(Debug, Args)]
struct GoGatewayArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// go-gateway's database, e.g. mysql://user:pass@host:3306/go_gateway
    /// (prefer the WEIR_IMPORT_FROM variable: command lines are visible to
    /// other users of the machine).
    #[arg(
        long,
        value_name = "URL",
        env = "WEIR_IMPORT_FROM",
        hide_env_values = true
    )]
    from: String,
    /// Print the YAML and the report; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Do not give the services go-gateway's always-on TCP health check.
    #[arg(long)]
    no_health_check: bool,
    /// Import the rest when rows are refused or entries dropped (they are
    /// still reported); without it nothing is written and the exit code is 1.
    #[arg(long)]
    skip_invalid: bool,
    /// With --dry-run: print tenant secrets instead of omitting them.
    #[arg(long)]
    include_secrets: bool,
    /// Author recorded in the revision. Default: $USER.
    #[arg(long)]
    author: Option<String>,
}

#[derive(Debug, Args)]
struct EchoArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9001")]
    listen: SocketAddr,
    /// Name reported in every answer (default: the listen address).
    #[arg(long)]
    name: Option<String>,
}

#[derive(Debug, Args)]
struct ProbeArgs {
    /// The endpoint, http:// only.
    #[arg(value_name = "URL")]
    url: String,
    /// Give up after this long (connect and answer together).
    #[arg(long, default_value = "2s", value_name = "DURATION")]
    timeout: weir_core::HumanDuration,
}

/// Parse arguments, run the command, map errors to exit codes: 0 success,
/// 1 failure (errors on stderr), 2 usage errors (from clap).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve(args, Roles::ALL),
        Command::Proxy(args) => serve(
            args,
            Roles {
                proxy: true,
                admin: false,
            },
        ),
        Command::Admin(args) => serve(
            args,
            Roles {
                proxy: false,
                admin: true,
            },
        ),
        Command::Apply(args) => small_runtime()?.block_on(apply(args)),
        Command::Export(args) => small_runtime()?.block_on(export(args)),
        Command::Check(args) => check(&args),
        Command::Import(ImportSource::GoGateway(args)) => {
            small_runtime()?.block_on(import_go_gateway(args))
        }
        Command::Echo(args) => small_runtime()?.block_on(async move {
            let listener = tokio::net::TcpListener::bind(args.listen)
                .await
                .with_context(|| format!("cannot listen on {}", args.listen))?;
            let addr = listener.local_addr()?;
            eprintln!("weir echo listening on {addr}");
            crate::echo::run(listener, args.name.unwrap_or_else(|| addr.to_string())).await?;
            Ok(ExitCode::SUCCESS)
        }),
        Command::Probe(args) => small_runtime()?.block_on(async move {
            match weir_proxy::probe(&args.url, args.timeout.get()).await {
                Ok(status) if status.is_success() => Ok(ExitCode::SUCCESS),
                Ok(status) => {
                    eprintln!("{}: {status}", args.url);
                    Ok(ExitCode::FAILURE)
                }
                Err(e) => {
                    eprintln!("{}: {e}", args.url);
                    Ok(ExitCode::FAILURE)
                }
            }
        }),
        Command::Version => {
            println!("weir {VERSION}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn small_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn serve(args: ServeArgs, roles: Roles) -> anyhow::Result<ExitCode> {
    let mut cfg = args.config.load()?;
    if let Some(a) = args.http {
        cfg.listen.http = a;
    }
    if let Some(a) = args.admin {
        cfg.listen.admin = a;
    }
    if let Some(l) = args.log_level {
        cfg.log.level = l;
    }
    let upgrade_socket = args.upgrade_socket;
    crate::logging::init(&cfg.log)?;
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if cfg.proxy.worker_threads > 0 {
        rt.worker_threads(cfg.proxy.worker_threads);
    }
    let rt = rt.enable_all().build()?;
    rt.block_on(async move {
        let gateway =
            Gateway::start_upgradable(&cfg, roles, upgrade_socket.as_deref()).await?;
        tokio::select! {
            signalled = wait_for_signal() => signalled?,
            () = gateway.upgraded() => tracing::info!("a new process took over the listening sockets"),
        }
        tracing::info!(grace = %cfg.proxy.shutdown_grace, "shutting down; in-flight requests may finish");
        tokio::select! {
            () = gateway.shutdown() => {}
            _ = wait_for_signal() => tracing::warn!("second signal: exiting now"),
        }
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}

fn read_input(path: &Path) -> anyhow::Result<(String, String)> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
        Ok((text, "<stdin>".into()))
    } else {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok((text, path.display().to_string()))
    }
}

/// Parse a file, reporting `file:line:column: message` on error.
fn parse_file(path: &Path) -> anyhow::Result<ConfigDocument> {
    let (text, name) = read_input(path)?;
    parse_document(&text).map_err(|e| match (e.line, e.column) {
        (Some(l), Some(c)) => anyhow::anyhow!("{name}:{l}:{c}: {}", e.message),
        _ => anyhow::anyhow!("{name}: {}", e.message),
    })
}

fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let doc = parse_file(&args.file)?;
    match compile(&doc) {
        Ok(c) => {
            println!(
                "ok: {} services, {} tenants, {} signing keys",
                c.services.len(),
                c.tenants.len(),
                c.keys.verify.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            eprintln!("{errors}");
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn apply(args: ApplyArgs) -> anyhow::Result<ExitCode> {
    let doc = parse_file(&args.file)?;
    if let Some(remote) = args.remote.remote()? {
        if args.author.is_some() {
            eprintln!("note: --author is ignored with --server; the API token's name is recorded");
        }
        let code = remote
            .apply(&doc, args.dry_run, args.if_empty, args.message.as_deref())
            .await?;
        return then_wait(&args, code, crate::wait::Source::Remote(&remote)).await;
    }
    let cfg = args.config.load()?;
    let store = open_store(&cfg).await?;
    let result = match apply_to(&store, &doc, &args).await {
        Ok(code) => then_wait(&args, code, crate::wait::Source::Store(&store)).await,
        Err(e) => Err(e),
    };
    store.close().await;
    result
}

/// With `--wait` after a successful apply: wait for the fleet.
async fn then_wait(
    args: &ApplyArgs,
    code: ExitCode,
    source: crate::wait::Source<'_>,
) -> anyhow::Result<ExitCode> {
    match args.wait {
        Some(timeout) if code == ExitCode::SUCCESS && !args.dry_run => {
            crate::wait::wait_for_fleet(source, timeout.get()).await
        }
        _ => Ok(code),
    }
}

async fn apply_to(
    store: &Store,
    doc: &ConfigDocument,
    args: &ApplyArgs,
) -> anyhow::Result<ExitCode> {
    if args.if_empty && store.revision().await? != 0 {
        println!("the store already has a configuration; nothing applied (--if-empty)");
        return Ok(ExitCode::SUCCESS);
    }
    let outcome = if args.dry_run {
        store.plan(doc).await
    } else {
        let meta = RevisionMeta {
            author: args
                .author
                .clone()
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "unknown".into()),
            source: "cli".into(),
            summary: args.message.clone().map(Into::into),
        };
        store.apply(doc, meta).await
    };
    let outcome = match outcome {
        Ok(o) => o,
        Err(StoreError::Invalid(errors)) => {
            eprintln!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e.into()),
    };
    for change in &outcome.changes {
        println!("{change}");
    }
    let summary = weir_core::diff::summarize(&outcome.changes);
    match (args.dry_run, outcome.revision) {
        (true, _) => println!("dry run: {summary}; nothing written"),
        (false, Some(rev)) => println!("applied revision {rev}: {summary}"),
        (false, None) => println!(
            "no changes; the store is at revision {}",
            outcome.base_revision
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// Read go-gateway's tables, print the report, and write the result as one
/// revision through the same path as `apply`.
async fn import_go_gateway(args: GoGatewayArgs) -> anyhow::Result<ExitCode> {
    let cfg = args.config.load()?;
    let own = [
        Some(cfg.listen.http),
        Some(cfg.listen.admin),
        cfg.https_addr()?,
    ];
    let opts = weir_import::Options {
        health_check: !args.no_health_check,
        reserved_ports: own.into_iter().flatten().map(|a| a.port()).collect(),
    };
    let import = weir_import::import_from(&args.from, &opts).await?;
    let (mut doc, report) = (import.document, import.report);
    eprintln!("{report}");
    let blocked = report.has_losses() && !args.skip_invalid;
    if args.dry_run {
        if !args.include_secrets {
            doc.redact_secrets();
        }
        print!("{}", to_yaml(&doc));
        eprintln!("dry run: nothing written");
    }
    if blocked {
        eprintln!(
            "error: some rows could not be imported (see above); nothing written. \
             Fix them in go-gateway, or pass --skip-invalid to import the rest."
        );
        return Ok(ExitCode::FAILURE);
    }
    if args.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    let store = open_store(&cfg).await?;
    let meta = RevisionMeta {
        author: args
            .author
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "unknown".into()),
        source: "import".into(),
        summary: Some(
            RevisionSummary::ImportedFromGoGateway {
                services: report.services,
                tenants: report.tenants,
            }
            .into(),
        ),
    };
    let outcome = store.apply(&doc, meta).await;
    store.close().await;
    let outcome = match outcome {
        Ok(o) => o,
        Err(StoreError::Invalid(errors)) => {
            eprintln!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e.into()),
    };
    for change in &outcome.changes {
        println!("{change}");
    }
    let summary = weir_core::diff::summarize(&outcome.changes);
    match outcome.revision {
        Some(rev) => println!("imported as revision {rev}: {summary}"),
        None => println!(
            "no changes; the store is at revision {}",
            outcome.base_revision
        ),
    }
    Ok(ExitCode::SUCCESS)
}

async fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    if let Some(remote) = args.remote.remote()? {
        if args.include_secrets {
            anyhow::bail!(
                "--include-secrets is not available with --server: the API never returns secrets"
            );
        }
        let (_, doc) = remote.export().await?;
        print!("{}", to_yaml(&doc));
        return Ok(ExitCode::SUCCESS);
    }
    let cfg = args.config.load()?;
    let store = open_store(&cfg).await?;
    let loaded = store.load().await;
    store.close().await;
    let (_, mut doc) = loaded?;
    if !args.include_secrets {
        doc.redact_secrets();
    }
    print!("{}", to_yaml(&doc));
    Ok(ExitCode::SUCCESS)
}

async fn open_store(cfg: &ProcessConfig) -> anyhow::Result<Store> {
    Store::open(&cfg.store.url).await.with_context(|| {
        format!(
            "cannot open the store {}",
            weir_store::redact_url(&cfg.store.url)
        )
    })
}
