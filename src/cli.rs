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
    #[command(override_usage = "imgconf run [OPTIONS] [FILTER]")]
    Run(Box<RunArgs>),
    /// Serve the built-in reference implementation until Ctrl-C.
    Serve(ServeArgs),
    /// Print which catalogued behaviours the cases prove (Markdown table, or JSON).
    Coverage(CoverageArgs),
    /// List the faults the reference server can be switched into, one line each.
    Faults,
    /// Render reports again from a saved results.json, without running anything.
    Report(ReportArgs),
    /// Compare two runs behaviour by behaviour and response by response (exit 0 same, 1 different, 2 trouble).
    Compare(CompareArgs),
    /// Delete what earlier runs left on a target: images named `imgconf-<run id>-…`, and every
    /// image or namespace the runs' journals (`created.jsonl`) list, and (as a Keystone admin) the
    /// projects and users of --dynamic-personas; nothing else.
    #[command(
        after_help = "Exit status: 0 everything found was deleted (or --dry-run), 1 something could not be deleted (each with the target's reason), 2 usage or configuration error (nothing deleted)."
    )]
    Cleanup(Box<CleanupArgs>),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Images API endpoint (`http://host:9292`); without it the built-in reference server is certified.
    #[arg(long, env = "IMGCONF_ENDPOINT")]
    pub endpoint: Option<String>,
    /// A copy of the JUnit XML report here (default: `reports/junit.xml` when no --report-dir
    /// is given, else none: the results folder has its own junit.xml).
    #[arg(long, env = "IMGCONF_JUNIT")]
    pub junit: Option<PathBuf>,
    /// Folder for junit.xml, results.json, report.html and summary.md (default: reports/<run id>).
    #[arg(long, env = "IMGCONF_REPORT_DIR")]
    pub report_dir: Option<PathBuf>,
    /// Profile: `strict`, `glance`, `glance-sqlite`, `glance-multiworker`, `glance-2025.1`, `huawei-ims`, or a profile file. Default: `glance` with --endpoint, else `strict`.
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
    /// skipped), `trusted-headers` (X-Identity-Status/X-Project-Id/X-Roles headers, for a test
    /// deployment whose pipeline trusts them) or `keystone` (tokens from Keystone v3). Default:
    /// `keystone` when credentials name an auth URL (flags, OS_* or clouds.yaml), else
    /// `trusted-headers` for the built-in server and `none` with --endpoint.
    #[arg(long, env = "IMGCONF_AUTH", value_enum)]
    pub auth: Option<AuthMode>,
    /// Same as `--auth none`: for noauth deployments.
    #[arg(long, env = "IMGCONF_NO_AUTH", conflicts_with = "auth")]
    pub no_auth: bool,
    #[command(flatten)]
    pub cloud: CloudArgs,
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
    /// A declared deviation that did not occur fails the run (it is reported either way).
    #[arg(long, env = "IMGCONF_STRICT_DEVIATIONS")]
    pub strict_deviations: bool,
    /// Run only the cases that failed or errored in this earlier results.json.
    #[arg(long, env = "IMGCONF_RERUN_FAILED")]
    pub rerun_failed: Option<PathBuf>,
    /// No live progress line on the terminal (it is drawn only when stderr is a terminal, never
    /// into pipes, files or reports, and not with --quiet).
    #[arg(long, env = "IMGCONF_NO_PROGRESS")]
    pub no_progress: bool,
    /// After the run, compare it with this earlier run (a results folder or results.json): the
    /// differences go to stderr and to compare.md/.html/.json in the report folder, and a run
    /// that passed but differs exits with 1 (a CI gate against a release's run).
    #[arg(long, env = "IMGCONF_COMPARE_WITH")]
    pub compare_with: Option<PathBuf>,
    /// Run id used in resource names (default: random).
    #[arg(long, env = "IMGCONF_RUN_ID")]
    pub run_id: Option<String>,
    /// With Keystone credentials that hold the admin role: make the other personas for this
    /// run (projects and users `imgconf-<run id>-owner|other|third|service|reader`; the credentials
    /// themselves are `admin`) and delete them when it ends.
    #[arg(long, env = "IMGCONF_DYNAMIC_PERSONAS")]
    pub dynamic_personas: bool,
    /// The policy the target enforces, for the cases whose expected answer depends on it:
    /// `legacy` (Glance's deprecated defaults) or `srbac` (secure RBAC: `enforce_new_defaults`
    /// and `enforce_scope`). Default: `legacy` for the built-in server (which follows the one
    /// given); for a target, observed with the `reader` persona when there is one (a project
    /// reader may create an image only under the legacy defaults), else unknown (those cases
    /// are skipped and say so).
    #[arg(long, env = "IMGCONF_POLICY", value_enum)]
    pub policy: Option<Policy>,
    /// The Glance release series the target runs (`2025.1`), for behaviours a release changed
    /// without raising the Images API version: the profile's deviations marked `until_release`
    /// apply up to that series. Default: the profile's `glance_release`, else the latest.
    #[arg(long, env = "IMGCONF_GLANCE_RELEASE", value_name = "SERIES")]
    pub glance_release: Option<String>,
    #[command(flatten)]
    pub libtest: LibtestArgs,
}

/// The libtest options that mean something for a certification (libtest-mimic runs the cases;
/// its own option set also has `--bench`, `--nocapture`, `-Z`…, which would only mislead here).
#[derive(Debug, Args, Clone, Default)]
pub struct LibtestArgs {
    /// Run only the cases whose id contains FILTER (`tags::` also selects `metadefs.tags::`;
    /// see --exact).
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
    /// Match FILTER and --skip against whole case ids instead of parts of them.
    #[arg(long)]
    pub exact: bool,
    /// Leave out the cases whose id contains FILTER (repeatable).
    #[arg(long, value_name = "FILTER")]
    pub skip: Vec<String>,
    /// List the selected cases and exit, without a target.
    #[arg(long)]
    pub list: bool,
    /// libtest's "only the ignored tests": no case is ignored before it runs (cases are skipped
    /// while running), so this is refused with that explanation rather than running nothing.
    #[arg(long, hide = true)]
    pub ignored: bool,
    /// How many cases run at once (at least 1; default: the number of cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub test_threads: Option<u16>,
    /// One character per case instead of one line (as --format terse); also leaves out the
    /// per-area table and the list of accepted deviations at the end.
    #[arg(short, long, conflicts_with = "format")]
    pub quiet: bool,
    /// Console format of the case lines.
    #[arg(long, value_enum, value_name = "pretty|terse|json")]
    pub format: Option<ConsoleFormat>,
    /// Colours on the console (default: when stdout is a terminal).
    #[arg(long, value_enum, value_name = "auto|always|never")]
    pub color: Option<libtest_mimic::ColorSetting>,
}

/// libtest's console formats, in our words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConsoleFormat {
    /// One line per case.
    Pretty,
    /// One character per case.
    Terse,
    /// libtest's JSON events, one per line.
    Json,
}

impl LibtestArgs {
    /// The arguments libtest-mimic runs the cases with.
    pub fn to_mimic(&self) -> libtest_mimic::Arguments {
        libtest_mimic::Arguments {
            filter: self.filter.clone(),
            exact: self.exact,
            skip: self.skip.clone(),
            list: self.list,
            ignored: self.ignored,
            test_threads: self.test_threads.map(usize::from),
            quiet: self.quiet,
            format: self.format.map(|f| match f {
                ConsoleFormat::Pretty => libtest_mimic::FormatSetting::Pretty,
                ConsoleFormat::Terse => libtest_mimic::FormatSetting::Terse,
                ConsoleFormat::Json => libtest_mimic::FormatSetting::Json,
            }),
            color: self.color,
            ..libtest_mimic::Arguments::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Policy {
    Legacy,
    Srbac,
}

impl Policy {
    /// The feature cases name in `requires` to run only under this policy.
    pub fn feature(self) -> &'static str {
        match self {
            Policy::Legacy => "policy:legacy",
            Policy::Srbac => "policy:srbac",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMode {
    None,
    TrustedHeaders,
    Keystone,
}

/// Keystone credentials and TLS, with the names OpenStack clients use. Precedence: these flags,
/// then the `OS_*` variable named in each, then the cloud chosen by --os-cloud / OS_CLOUD in
/// clouds.yaml (+ secure.yaml).
#[derive(Debug, Args, Default)]
pub struct CloudArgs {
    /// Cloud in clouds.yaml (+ secure.yaml) for the main (`owner`) credentials [OS_CLOUD].
    #[arg(long)]
    pub os_cloud: Option<String>,
    /// Keystone URL, e.g. `https://keystone:5000/v3` [OS_AUTH_URL].
    #[arg(long)]
    pub os_auth_url: Option<String>,
    /// `password`, `token` or `v3applicationcredential` (default: from what is given) [OS_AUTH_TYPE].
    #[arg(long)]
    pub os_auth_type: Option<String>,
    /// [OS_USERNAME]
    #[arg(long)]
    pub os_username: Option<String>,
    /// Prefer OS_PASSWORD or secure.yaml: a flag shows in the process list [OS_PASSWORD].
    #[arg(long)]
    pub os_password: Option<String>,
    /// [OS_PROJECT_NAME]
    #[arg(long)]
    pub os_project_name: Option<String>,
    /// [OS_PROJECT_ID]
    #[arg(long)]
    pub os_project_id: Option<String>,
    /// [OS_USER_DOMAIN_NAME] (default: the domain with id `default`).
    #[arg(long)]
    pub os_user_domain_name: Option<String>,
    /// [OS_PROJECT_DOMAIN_NAME] (default: the domain with id `default`).
    #[arg(long)]
    pub os_project_domain_name: Option<String>,
    /// Domain scope instead of a project [OS_DOMAIN_NAME].
    #[arg(long)]
    pub os_domain_name: Option<String>,
    /// Region of the image endpoint in the catalog [OS_REGION_NAME].
    #[arg(long)]
    pub os_region_name: Option<String>,
    /// Interface of the image endpoint in the catalog: public (default), internal, admin [OS_INTERFACE].
    #[arg(long)]
    pub os_interface: Option<String>,
    /// A token exchanged with Keystone for a scoped token (Keystone's `token` method) [OS_TOKEN].
    /// For a token sent as is, use --token.
    #[arg(long)]
    pub os_token: Option<String>,
    /// [OS_APPLICATION_CREDENTIAL_ID]
    #[arg(long)]
    pub os_application_credential_id: Option<String>,
    /// [OS_APPLICATION_CREDENTIAL_SECRET]
    #[arg(long)]
    pub os_application_credential_secret: Option<String>,
    /// CA certificate(s) (PEM) to trust for the endpoint and Keystone [OS_CACERT].
    #[arg(long, visible_alias = "os-cacert")]
    pub cacert: Option<PathBuf>,
    /// Client certificate (PEM) for TLS client authentication [OS_CERT].
    #[arg(long, visible_alias = "os-cert")]
    pub cert: Option<PathBuf>,
    /// Client certificate key (PEM), if not in the --cert file [OS_KEY].
    #[arg(long, visible_alias = "os-key")]
    pub key: Option<PathBuf>,
    /// Do not verify TLS certificates (reported loudly in every report) [OS_INSECURE].
    #[arg(long, visible_alias = "os-insecure")]
    pub insecure: bool,
    /// Credentials of another persona: `other=CLOUD`, `third=CLOUD`, `admin=CLOUD`,
    /// `service=CLOUD`, `reader=CLOUD` (clouds.yaml names; repeatable). The main credentials are `owner` [IMGCONF_PERSONA_OTHER, …_THIRD, …_ADMIN, …_SERVICE, …_READER].
    #[arg(long = "persona", value_name = "NAME=CLOUD")]
    pub personas: Vec<String>,
}

impl CloudArgs {
    /// What the flags say, as credentials (unset flags say nothing).
    pub fn credentials(&self) -> crate::auth::Credentials {
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        crate::auth::Credentials {
            auth_url: self.os_auth_url.clone(),
            auth_type: self.os_auth_type.clone(),
            username: self.os_username.clone(),
            password: self.os_password.clone(),
            project_name: self.os_project_name.clone(),
            project_id: self.os_project_id.clone(),
            user_domain_name: self.os_user_domain_name.clone(),
            project_domain_name: self.os_project_domain_name.clone(),
            domain_name: self.os_domain_name.clone(),
            token: self.os_token.clone(),
            application_credential_id: self.os_application_credential_id.clone(),
            application_credential_secret: self.os_application_credential_secret.clone(),
            region_name: self.os_region_name.clone(),
            interface: self.os_interface.clone(),
            cacert: path(&self.cacert),
            cert: path(&self.cert),
            key: path(&self.key),
            insecure: self.insecure.then_some(true),
            ..Default::default()
        }
    }
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
    /// A run's journal of what it created (`created.jsonl` in its results folder; repeatable).
    /// Default: every `reports/*/created.jsonl`. Entries of other endpoints are left alone.
    #[arg(long, value_name = "FILE")]
    pub journal: Vec<PathBuf>,
    /// Identity: `none`, `trusted-headers` (acts as the run's admin persona), or `keystone`
    /// (the admin persona's cloud if `--persona admin=CLOUD` is given, else the main credentials).
    #[arg(long, env = "IMGCONF_AUTH", value_enum, default_value = "none")]
    pub auth: AuthMode,
    #[command(flatten)]
    pub cloud: CloudArgs,
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
pub struct CompareArgs {
    /// The first run (A): a results folder or its results.json.
    pub a: PathBuf,
    /// The second run (B): a results folder or its results.json.
    pub b: PathBuf,
    /// Write the comparison as Markdown here (fits a CI step summary).
    #[arg(long)]
    pub md: Option<PathBuf>,
    /// Write the comparison as one self-contained HTML page here.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Write the comparison as JSON here (schema: docs/compare.schema.json).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Print no table (the exit status and the files only).
    #[arg(long, short)]
    pub quiet: bool,
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
    /// The policy defaults to follow where Glance's two families differ: `legacy` (the
    /// deprecated defaults) or `srbac` (secure RBAC: a project reader may not create an image,
    /// only an administrator deletes data from one store).
    #[arg(long, env = "IMGCONF_POLICY", value_enum, default_value = "legacy")]
    pub policy: Policy,
}
