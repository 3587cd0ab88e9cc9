//! Stage 1 of a run: what the command line, the environment and the files the run reads say,
//! decided before anything is sent or written. Pure: no network, no file written (files are
//! read: the suite's profiles, clouds.yaml, a baseline).

use crate::auth;
use crate::cli::{AuthMode, RunArgs};
use crate::http::HttpConfig;
use crate::profile::Profile;
use crate::reference::faults::Faults;
use crate::reference::ServerOptions;
use crate::report::results::RunReport;
use crate::suite::Suite;
use crate::websource::WebSource;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Everything decided about a run before its cases are chosen.
pub struct RunConfig {
    pub args: RunArgs,
    /// How requests carry identity: as said, else from the credentials and the endpoint.
    pub mode: AuthMode,
    /// The main credentials and the personas' clouds (`flags > OS_* > clouds.yaml`).
    pub resolved: auth::Resolved,
    /// The profile that judges the run, with the deviations of the target's release.
    pub profile: Arc<Profile>,
    /// Whether the release is settled (declared, or inferred by [`RunConfig::settle_release`]):
    /// until then the profile still holds every release-bound deviation.
    pub release_settled: bool,
    /// `, Glance release 2025.1` for the console, or nothing.
    pub release_note: String,
    /// `--compare-with`, read before anything runs.
    pub baseline: Option<RunReport>,
    pub run_id: String,
}

/// What the target side of a run takes, checked only when the run is going to contact one
/// (`--list` needs no target, so it does not judge these).
pub struct TargetOptions {
    pub http: HttpConfig,
    /// Faults for the built-in reference server.
    pub faults: Faults,
    /// The built-in reference server's stores.
    pub stores: Vec<String>,
    /// `--web-download-url` (with its digest).
    pub given_source: Option<WebSource>,
}

impl RunConfig {
    /// Decides the run from `args` (flags and `IMGCONF_*`), `env` (the `OS_*` variables and
    /// where clouds.yaml is looked for) and `files` (the loaded suite, whose profiles are read).
    pub fn from(
        args: RunArgs,
        env: &auth::Environment,
        files: &Suite,
    ) -> Result<RunConfig, String> {
        // Read first: a baseline that cannot be read stops the run before it starts.
        let baseline = match &args.compare_with {
            Some(p) => Some(crate::compare::load(p)?),
            None => None,
        };
        let resolved = auth::resolve(
            args.cloud.credentials(),
            args.cloud.os_cloud.as_deref(),
            &args.cloud.personas,
            env,
        )
        .map_err(|e| e.to_string())?;
        let mode = auth_mode(&args, &resolved)?;
        // A real cloud (an endpoint given, or found in a Keystone catalog) is judged as Glance.
        let default_profile = if args.endpoint.is_some() || mode == AuthMode::Keystone {
            "glance"
        } else {
            "strict"
        };
        let mut profile = files
            .profile(args.profile.as_deref().unwrap_or(default_profile))
            .map_err(|e| e.to_string())?;
        // The release a Glance target runs decides which release-bound deviations apply.
        let release = match &args.glance_release {
            Some(r) => Some(r.parse().map_err(|e| format!("--glance-release: {e}"))?),
            None => profile
                .glance_release
                .as_deref()
                .and_then(|r| r.parse().ok()),
        };
        // Undeclared, it may still be inferred from the versions document: see `settle_release`.
        if release.is_some() {
            profile.for_release(release);
        }
        let release_note = match (&args.glance_release, &profile.glance_release) {
            (Some(r), _) | (None, Some(r)) => format!(", Glance release {r}"),
            (None, None) => String::new(),
        };
        let run_id = args
            .run_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..8].to_string());
        Ok(RunConfig {
            args,
            mode,
            resolved,
            profile: Arc::new(profile),
            release_settled: release.is_some(),
            release_note,
            baseline,
            run_id,
        })
    }

    /// After discovery: with no release declared, what the versions document tells for certain
    /// (a Glance profile whose deviations depend on the release, on a target that is not the
    /// built-in server) decides the release-bound deviations; else none of them apply.
    pub fn settle_release(&mut self, current: Option<crate::case::ApiVersion>, built_in: bool) {
        if self.release_settled {
            return;
        }
        self.release_settled = true;
        let inferred = match current {
            Some(c) if !built_in && self.profile.has_release_bound_deviations() => {
                crate::profile::release_at_most(c)
            }
            _ => None,
        };
        if let Some((_, why)) = &inferred {
            self.release_note = format!(", Glance release {why}");
        }
        Arc::make_mut(&mut self.profile).for_release(inferred.map(|(r, _)| r));
    }

    /// The target side's options, checked.
    pub fn target_options(&self) -> Result<TargetOptions, String> {
        let args = &self.args;
        let http = HttpConfig {
            connect_timeout: seconds(args.connect_timeout, "--connect-timeout")?,
            timeout: seconds(args.timeout, "--timeout")?,
            tls: self.resolved.main.tls(),
            ..HttpConfig::default()
        };
        let faults = Faults::parse(&args.faults)?;
        if (args.endpoint.is_some() || self.mode == AuthMode::Keystone) && !faults.is_empty() {
            return Err(
                "--fault switches the built-in reference server; it cannot go with --endpoint or Keystone".into(),
            );
        }
        if args.endpoint.is_some() && !args.reference_stores.is_empty() {
            return Err("--reference-stores configures the built-in reference server; it cannot go with --endpoint".into());
        }
        let stores = if args.reference_stores.is_empty() {
            ServerOptions::default().stores
        } else {
            ServerOptions::parse_stores(&args.reference_stores)?
        };
        let given_source = match &args.web_download_url {
            Some(url) => Some(WebSource::given(url, args.web_download_sha512.as_deref())?),
            None if args.web_download_sha512.is_some() => {
                return Err("--web-download-sha512 goes with --web-download-url".into())
            }
            None => None,
        };
        Ok(TargetOptions {
            http,
            faults,
            stores,
            given_source,
        })
    }

    /// Every secret the run was given (obtained ones are the sessions'), for redaction.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = self.resolved.main.secrets();
        for (_, c) in self.resolved.personas.values() {
            secrets.extend(c.secrets());
        }
        secrets.extend(self.args.token.iter().cloned());
        secrets
    }

    /// The options that shaped the run, for the report; secret values never appear.
    pub fn effective(&self) -> BTreeMap<String, String> {
        let (args, resolved) = (&self.args, &self.resolved);
        let mut c = BTreeMap::new();
        let mut put = |k: &str, v: String| {
            c.insert(k.to_string(), v);
        };
        let keystone = self.mode == AuthMode::Keystone;
        put(
            "endpoint",
            args.endpoint.clone().unwrap_or_else(|| {
                if keystone {
                    "(image service in the Keystone catalog)".into()
                } else {
                    "(built-in reference server)".into()
                }
            }),
        );
        put(
            "profile",
            args.profile.clone().unwrap_or_else(|| "(default)".into()),
        );
        let auth = match self.mode {
            AuthMode::None => "none",
            AuthMode::TrustedHeaders => "trusted-headers",
            AuthMode::Keystone => "keystone",
        };
        put("auth", auth.to_string());
        let m = &resolved.main;
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        if keystone {
            put("os_cloud", opt(&resolved.cloud));
            put("os_auth_url", opt(&m.auth_url));
            put("os_username", opt(&m.username));
            put("os_project_name", opt(&m.project_name));
            put("os_project_id", opt(&m.project_id));
            put("os_user_domain_name", opt(&m.user_domain_name));
            put("os_project_domain_name", opt(&m.project_domain_name));
            put("os_region_name", opt(&m.region_name));
            put("os_interface", opt(&m.interface));
            put(
                "os_application_credential_id",
                opt(&m.application_credential_id),
            );
            let masked = |v: &Option<String>| if v.is_some() { "***" } else { "" }.to_string();
            put("os_password", masked(&m.password));
            put(
                "os_application_credential_secret",
                masked(&m.application_credential_secret),
            );
            put("os_token", masked(&m.token));
            let personas: Vec<String> = resolved
                .personas
                .iter()
                .map(|(p, (cloud, _))| format!("{}={cloud}", p.name()))
                .collect();
            put("personas", personas.join(","));
        }
        put("cacert", opt(&m.cacert));
        put("cert", opt(&m.cert));
        put("insecure", m.insecure.unwrap_or(false).to_string());
        put("connect_timeout_s", args.connect_timeout.to_string());
        put("timeout_s", args.timeout.to_string());
        put(
            "test_threads",
            args.libtest
                .test_threads
                .map(|n| n.to_string())
                .unwrap_or_else(|| "(cores)".into()),
        );
        put("filter", args.libtest.filter.clone().unwrap_or_default());
        put("skip", args.libtest.skip.join(","));
        put(
            "cases",
            args.cases
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "(built in)".into()),
        );
        put(
            "token",
            if args.token.is_some() { "***" } else { "" }.to_string(),
        );
        put("features", args.features.join(","));
        put("dynamic_personas", args.dynamic_personas.to_string());
        put(
            "policy",
            args.policy
                .map(|p| p.feature().trim_start_matches("policy:").to_string())
                .unwrap_or_default(),
        );
        put("without_features", args.without_features.join(","));
        put("faults", args.faults.join(","));
        put("reference_stores", args.reference_stores.join(","));
        put(
            "web_download_url",
            args.web_download_url.clone().unwrap_or_default(),
        );
        c
    }
}

/// `--no-auth`, else `--auth`, else Keystone when the credentials name an auth URL, else
/// trusted headers for the built-in server and none for a given endpoint; then what cannot go
/// with it.
fn auth_mode(args: &RunArgs, resolved: &auth::Resolved) -> Result<AuthMode, String> {
    let mode = match (args.no_auth, args.auth) {
        (true, _) => AuthMode::None,
        (false, Some(m)) => m,
        (false, None) if resolved.main.auth_url.is_some() => AuthMode::Keystone,
        (false, None) if args.endpoint.is_none() => AuthMode::TrustedHeaders,
        (false, None) => AuthMode::None,
    };
    if mode == AuthMode::Keystone && args.token.is_some() {
        return Err("--token sends a token as is; with Keystone credentials the run gets its own (drop one of them)".into());
    }
    if args.dynamic_personas && mode != AuthMode::Keystone {
        return Err("--dynamic-personas makes personas through Keystone: it needs Keystone credentials with the admin role".into());
    }
    if args.dynamic_personas && !resolved.personas.is_empty() {
        return Err(
            "--dynamic-personas makes the personas itself: drop --persona / IMGCONF_PERSONA_*"
                .into(),
        );
    }
    if mode != AuthMode::Keystone && !resolved.personas.is_empty() {
        return Err(
            "--persona / IMGCONF_PERSONA_* need Keystone credentials (--auth keystone)".into(),
        );
    }
    Ok(mode)
}

fn seconds(v: f64, flag: &str) -> Result<Duration, String> {
    if v.is_finite() && v > 0.0 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(format!("{flag} must be a positive number of seconds"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    /// `imgconf run ARGS`, parsed as the binary parses it.
    fn args(list: &[&str]) -> RunArgs {
        let cli = Cli::try_parse_from(["imgconf", "run"].iter().chain(list)).unwrap();
        match cli.command {
            Command::Run(a) => *a,
            _ => unreachable!(),
        }
    }

    /// An environment of only these variables, whose current and home folders are `dir`.
    fn env(dir: &std::path::Path, vars: &[(&str, &str)]) -> auth::Environment {
        auth::Environment {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            cwd: Some(dir.to_path_buf()),
            home: Some(dir.to_path_buf()),
        }
    }

    fn suite() -> Suite {
        Suite::load(None, None).unwrap()
    }

    fn config(
        list: &[&str],
        vars: &[(&str, &str)],
        dir: &std::path::Path,
        files: &Suite,
    ) -> Result<RunConfig, String> {
        RunConfig::from(args(list), &env(dir, vars), files)
    }

    const KEYSTONE: (&str, &str) = ("OS_AUTH_URL", "http://127.0.0.1:9/v3");

    #[test]
    fn identity_and_profile_follow_flags_then_credentials_then_the_endpoint() {
        let dir = tempfile::tempdir().unwrap();
        let files = suite();
        let decided = |list: &[&str], vars: &[(&str, &str)]| {
            let c = config(list, vars, dir.path(), &files).unwrap();
            (c.mode, c.profile.name.clone())
        };
        let strict = "strict".to_string();
        let glance = "glance".to_string();
        assert_eq!(
            decided(&[], &[]),
            (AuthMode::TrustedHeaders, strict.clone())
        );
        assert_eq!(
            decided(&["--endpoint", "http://127.0.0.1:9292"], &[]),
            (AuthMode::None, glance.clone())
        );
        // Credentials that name Keystone make a Keystone run, judged as Glance…
        assert_eq!(
            decided(&[], &[KEYSTONE]),
            (AuthMode::Keystone, glance.clone())
        );
        // …unless the command line says how requests carry identity, or names the profile.
        assert_eq!(
            decided(&["--no-auth"], &[KEYSTONE]),
            (AuthMode::None, strict.clone())
        );
        assert_eq!(
            decided(&["--auth", "trusted-headers"], &[KEYSTONE]),
            (AuthMode::TrustedHeaders, strict.clone())
        );
        assert_eq!(
            decided(&["--profile", "strict"], &[KEYSTONE]),
            (AuthMode::Keystone, strict)
        );
    }

    #[test]
    fn credentials_come_from_flags_then_os_variables_then_clouds_yaml() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("clouds.yaml"),
            "clouds:\n  lab:\n    auth:\n      auth_url: http://127.0.0.1:9/v3\n      username: from-file\n      project_name: p\n    region_name: file-region\n",
        )
        .unwrap();
        let files = suite();
        let main = |list: &[&str], vars: &[(&str, &str)]| {
            config(list, vars, dir.path(), &files)
                .unwrap()
                .resolved
                .main
        };
        let file = main(&[], &[("OS_CLOUD", "lab")]);
        assert_eq!(file.username.as_deref(), Some("from-file"));
        let os = main(&[], &[("OS_CLOUD", "lab"), ("OS_USERNAME", "from-env")]);
        assert_eq!(os.username.as_deref(), Some("from-env"));
        // What a layer does not say, the one below still does.
        assert_eq!(os.region_name.as_deref(), Some("file-region"));
        let flag = main(
            &["--os-username", "from-flag"],
            &[("OS_CLOUD", "lab"), ("OS_USERNAME", "from-env")],
        );
        assert_eq!(flag.username.as_deref(), Some("from-flag"));
        // --os-cloud names the cloud over OS_CLOUD, and a cloud that is not there is an error
        // that says where clouds.yaml was looked for.
        let e = config(
            &["--os-cloud", "elsewhere"],
            &[("OS_CLOUD", "lab")],
            dir.path(),
            &files,
        )
        .err()
        .unwrap();
        assert!(
            e.starts_with("cloud `elsewhere` (for the main credentials) is not defined"),
            "{e}"
        );
        assert!(e.contains(&dir.path().display().to_string()), "{e}");
    }

    #[test]
    fn the_release_comes_from_the_flag_then_the_profile() {
        let dir = tempfile::tempdir().unwrap();
        let files = suite();
        let note = |list: &[&str]| config(list, &[], dir.path(), &files).map(|c| c.release_note);
        assert_eq!(note(&[]).unwrap(), "");
        assert_eq!(
            note(&["--profile", "glance-2025.1"]).unwrap(),
            ", Glance release 2025.1"
        );
        assert_eq!(
            note(&["--profile", "glance-2025.1", "--glance-release", "2025.2"]).unwrap(),
            ", Glance release 2025.2"
        );
        let e = note(&["--glance-release", "soon"]).unwrap_err();
        assert!(e.starts_with("--glance-release: "), "{e}");
        let e = note(&["--profile", "nope"]).unwrap_err();
        assert!(
            e.starts_with("no built-in profile `nope` (built in: "),
            "{e}"
        );
    }

    #[test]
    fn an_undeclared_release_is_inferred_only_where_the_versions_document_is_certain() {
        let dir = tempfile::tempdir().unwrap();
        let files = suite();
        let v = |minor| crate::case::ApiVersion { major: 2, minor };
        let bound = |c: &RunConfig| c.profile.has_release_bound_deviations();
        let glance = || config(&["--profile", "glance"], &[], dir.path(), &files).unwrap();
        // Below 2.17: 2024.1 or older, so the deviations of releases up to 2025.1 apply.
        let mut old = glance();
        assert!(
            bound(&old),
            "the glance profile has release-bound deviations"
        );
        old.settle_release(Some(v(16)), false);
        assert!(bound(&old));
        assert!(
            old.release_note.contains("2024.1 or older (inferred"),
            "{}",
            old.release_note
        );
        // 2.17 and above tell nothing for certain; the built-in server is no Glance release.
        for (current, built_in) in [(Some(v(17)), false), (Some(v(16)), true), (None, false)] {
            let mut c = glance();
            c.settle_release(current, built_in);
            assert!(!bound(&c) && c.release_note.is_empty());
        }
        // A declared release is never overridden.
        let mut declared =
            config(&["--glance-release", "2026.1"], &[], dir.path(), &files).unwrap();
        declared.settle_release(Some(v(16)), false);
        assert_eq!(declared.release_note, ", Glance release 2026.1");
    }

    #[test]
    fn options_that_cannot_go_together_are_refused_saying_which() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("clouds.yaml"),
            "clouds:\n  other:\n    auth:\n      auth_url: http://127.0.0.1:9/v3\n",
        )
        .unwrap();
        let files = suite();
        let refused = |list: &[&str], vars: &[(&str, &str)]| {
            config(list, vars, dir.path(), &files).err().unwrap()
        };
        assert!(refused(&["--token", "t0k3n"], &[KEYSTONE])
            .starts_with("--token sends a token as is; with Keystone credentials"));
        assert!(refused(&["--dynamic-personas"], &[])
            .starts_with("--dynamic-personas makes personas through Keystone"));
        assert!(refused(
            &["--dynamic-personas", "--persona", "other=other"],
            &[KEYSTONE]
        )
        .starts_with("--dynamic-personas makes the personas itself"));
        assert_eq!(
            refused(&[], &[("IMGCONF_PERSONA_OTHER", "other")]),
            "--persona / IMGCONF_PERSONA_* need Keystone credentials (--auth keystone)"
        );
        assert_eq!(
            refused(&["--persona", "owner=other"], &[]),
            "`--persona owner=other`: expected NAME=CLOUD with NAME one of other, third, admin, service, reader"
        );
    }

    #[test]
    fn target_options_are_judged_only_when_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let files = suite();
        // `--list` needs no target: the configuration stands with target options it would refuse.
        let target = |list: &[&str]| {
            config(list, &[], dir.path(), &files)
                .unwrap()
                .target_options()
                .map(|o| (o.http.connect_timeout, o.http.timeout, o.stores))
        };
        assert_eq!(
            target(&["--timeout", "0"]).unwrap_err(),
            "--timeout must be a positive number of seconds"
        );
        assert_eq!(
            target(&["--connect-timeout", "NaN"]).unwrap_err(),
            "--connect-timeout must be a positive number of seconds"
        );
        assert!(target(&["--reference-stores", "a,a"])
            .unwrap_err()
            .contains("given twice"));
        assert_eq!(
            target(&["--endpoint", "http://127.0.0.1:9", "--reference-stores", "a"]).unwrap_err(),
            "--reference-stores configures the built-in reference server; it cannot go with --endpoint"
        );
        assert!(
            target(&["--endpoint", "http://127.0.0.1:9", "--fault", "ok-as-201"])
                .unwrap_err()
                .starts_with("--fault switches the built-in reference server")
        );
        assert_eq!(
            target(&["--web-download-sha512", "00"]).unwrap_err(),
            "--web-download-sha512 goes with --web-download-url"
        );
        let (connect, whole, stores) =
            target(&["--connect-timeout", "1.5", "--reference-stores", "one"]).unwrap();
        assert_eq!(connect, Duration::from_millis(1500));
        assert_eq!(whole, Duration::from_secs(30));
        assert_eq!(stores, ["one"]);
    }

    #[test]
    fn deciding_writes_nothing_and_the_report_config_masks_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let files = suite();
        let reports = dir.path().join("reports");
        let c = config(
            &[
                "--token",
                "t0k3n-value",
                "--report-dir",
                &reports.display().to_string(),
                "--run-id",
                "r1",
            ],
            &[("OS_PASSWORD", "pa55word")],
            dir.path(),
            &files,
        )
        .unwrap();
        assert!(!reports.exists());
        assert_eq!(c.run_id, "r1");
        let secrets = c.secrets();
        assert!(secrets.contains(&"t0k3n-value".to_string()));
        assert!(secrets.contains(&"pa55word".to_string()));
        let effective = c.effective();
        assert_eq!(effective["token"], "***");
        assert_eq!(effective["auth"], "trusted-headers");
        let text = format!("{effective:?}");
        assert!(
            !text.contains("t0k3n") && !text.contains("pa55word"),
            "{text}"
        );
    }
}
