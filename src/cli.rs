//! Command-line interface. Every option of `run` can also come from an `IMGCONF_*` variable.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "imgconf",
    version,
    about = "Conformance test harness for OpenStack Images v2 (Glance) endpoints"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Certify an endpoint (or, with none given, the built-in reference server).
    Run(Box<RunArgs>),
    /// Serve the built-in reference implementation until Ctrl-C.
    Serve(ServeArgs),
    /// Print which catalogued behaviours the cases prove (Markdown table, or JSON).
    Coverage(CoverageArgs),
    /// List the faults the reference server can be switched into, one line each.
    Faults,
    /// Render reports again from a saved results.json, without running anything.
    Report(ReportArgs),
    /// Delete images that earlier runs left on a target (names `imgconf-<run id>-…`), and nothing else.
    Cleanup(CleanupArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Images API endpoint (`http://host:9292`); without it the built-in reference server is certified.
    #[arg(long, env = "IMGCONF_ENDPOINT")]
    pub endpoint: Option<String>,
    /// Where to write the JUnit XML report.
    #[arg(long, env = "IMGCONF_JUNIT", default_value = "reports/junit.xml")]
    pub junit: PathBuf,
    /// Folder for junit.xml, results.json, report.html and summary.md (default: reports/<run id>).
    #[arg(long, env = "IMGCONF_REPORT_DIR")]
    pub report_dir: Option<PathBuf>,
    /// Profile: `strict`, `glance`, `glance-multiworker`, `huawei-ims`, or a profile file. Default: `glance` with --endpoint, else `strict`.
    #[arg(long, env = "IMGCONF_PROFILE")]
    pub profile: Option<String>,
    /// Read case files from this directory instead of the built-in ones.
    #[arg(long, env = "IMGCONF_CASES")]
    pub cases: Option<PathBuf>,
    /// Read JSON schemas from this directory instead of the built-in ones.
    #[arg(long, env = "IMGCONF_SCHEMAS")]
    pub schemas: Option<PathBuf>,
    /// Seconds to wait for a connection.
    #[arg(long, env = "IMGCONF_CONNECT_TIMEOUT", default_value_t = 5.0)]
    pub connect_timeout: f64,
    /// Seconds to wait for a whole response.
    #[arg(long, env = "IMGCONF_TIMEOUT", default_value_t = 30.0)]
    pub timeout: f64,
    /// How requests carry identity: `none` (a noauth target: no personas, cases that need them are
    /// skipped) or `trusted-headers` (X-Identity-Status/X-Project-Id/X-Roles headers, for a test
    /// deployment whose pipeline trusts them). Default: `trusted-headers` for the built-in server,
    /// `none` with --endpoint.
    #[arg(long, env = "IMGCONF_AUTH", value_enum)]
    pub auth: Option<AuthMode>,
    /// A token to send as X-Auth-Token with every request (for deployments where you already hold
    /// one); it never appears in output or reports.
    #[arg(long, env = "IMGCONF_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Treat an optional feature as offered although it was not detected (repeatable).
    #[arg(long = "feature", env = "IMGCONF_FEATURES", value_delimiter = ',')]
    pub features: Vec<String>,
    /// Treat an optional feature as absent although it was detected (repeatable).
    #[arg(
        long = "without-feature",
        env = "IMGCONF_WITHOUT_FEATURES",
        value_delimiter = ','
    )]
    pub without_features: Vec<String>,
    /// Switch the built-in reference server into a fault (repeatable; see `imgconf faults`).
    #[arg(long = "fault", env = "IMGCONF_FAULTS", value_delimiter = ',')]
    pub faults: Vec<String>,
    /// Store ids of the built-in reference server, the first the default (default:
    /// `memory,memory2`; one id gives a single-store server).
    #[arg(long, env = "IMGCONF_REFERENCE_STORES", value_delimiter = ',')]
    pub reference_stores: Vec<String>,
    /// A URL the target can fetch for web-download cases (default: the run serves data itself
    /// on 127.0.0.1 when the target is on this machine; otherwise those cases are skipped).
    #[arg(long, env = "IMGCONF_WEB_DOWNLOAD_URL")]
    pub web_download_url: Option<String>,
    /// The hex SHA-512 of what --web-download-url serves.
    #[arg(long, env = "IMGCONF_WEB_DOWNLOAD_SHA512")]
    pub web_download_sha512: Option<String>,
    /// Run only one shard of the cases: `hash:M/N` or `count:M/N` (as cargo-nextest).
    #[arg(long, env = "IMGCONF_PARTITION")]
    pub partition: Option<crate::select::Partition>,
    /// After the first failed case, skip the rest.
    #[arg(long, env = "IMGCONF_FAIL_FAST")]
    pub fail_fast: bool,
    /// Run only the cases that failed or errored in this earlier results.json.
    #[arg(long, env = "IMGCONF_RERUN_FAILED")]
    pub rerun_failed: Option<PathBuf>,
    /// No live progress line on the terminal (it is drawn only when stderr is a terminal, never
    /// into pipes, files or reports, and not with --quiet).
    #[arg(long, env = "IMGCONF_NO_PROGRESS")]
    pub no_progress: bool,
    /// Run id used in resource names (default: random).
    #[arg(long, env = "IMGCONF_RUN_ID")]
    pub run_id: Option<String>,
    #[command(flatten)]
    pub libtest: libtest_mimic::Arguments,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMode {
    None,
    TrustedHeaders,
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Images API endpoint.
    #[arg(long, env = "IMGCONF_ENDPOINT")]
    pub endpoint: String,
    /// Only this run's leftovers (default: any run's).
    #[arg(long, env = "IMGCONF_RUN_ID")]
    pub run_id: Option<String>,
    /// Show what would be deleted, delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Identity: `none`, or `trusted-headers` (acts as the run's admin persona).
    #[arg(long, env = "IMGCONF_AUTH", value_enum, default_value = "none")]
    pub auth: AuthMode,
    /// A token to send as X-Auth-Token (never shown).
    #[arg(long, env = "IMGCONF_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A results.json written by `imgconf run`.
    pub results: PathBuf,
    /// Write the HTML report here.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Write JUnit XML here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Write the Markdown summary here.
    #[arg(long)]
    pub md: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Read case files from this directory instead of the built-in ones.
    #[arg(long, env = "IMGCONF_CASES")]
    pub cases: Option<PathBuf>,
    /// Print JSON instead of a Markdown table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback is the safe choice).
    #[arg(long, env = "IMGCONF_LISTEN", default_value = "127.0.0.1:9292")]
    pub listen: SocketAddr,
    /// Switch a fault on (repeatable; see `imgconf faults`).
    #[arg(long = "fault", env = "IMGCONF_FAULTS", value_delimiter = ',')]
    pub faults: Vec<String>,
    /// Which implementation to serve: `glance`, or `huawei-ims` (Huawei Cloud IMS's documented
    /// differences, for certifying the `huawei-ims` profile without a Huawei cloud).
    #[arg(long, env = "IMGCONF_FLAVOR", value_enum, default_value = "glance")]
    pub flavor: crate::reference::flavor::Flavor,
    /// Milliseconds to wait before answering each request (a slow server, for tests).
    #[arg(long, env = "IMGCONF_LATENCY_MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Store ids, the first the default (default: `memory,memory2`; one id gives a
    /// single-store server).
    #[arg(long, env = "IMGCONF_STORES", value_delimiter = ',')]
    pub stores: Vec<String>,
    /// Largest image data accepted, in bytes (more is refused with 413). Data is kept in
    /// memory: raise it only as far as the machine's memory allows (benchmarks use 1 GiB).
    #[arg(long, env = "IMGCONF_MAX_IMAGE_BYTES", default_value_t = crate::reference::DEFAULT_MAX_IMAGE_BYTES)]
    pub max_image_bytes: usize,
}
