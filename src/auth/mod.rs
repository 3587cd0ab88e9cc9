//! Authentication against a real cloud: where credentials come from (flags, `OS_*` variables,
//! `clouds.yaml` + `secure.yaml`, in the precedence OpenStack tools use), Keystone v3 tokens and
//! the service catalog ([`keystone`]), TLS settings ([`tls`]), and the redaction of every secret a
//! run knows or obtains ([`Redactor`]).

pub mod clouds;
pub mod keystone;
pub mod provision;
pub mod tls;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Where the auth code says what it did while a run goes on (a token renewed, a renewal that
/// failed): one line of text, never a secret, for the run's console.
pub type Notify = Arc<dyn Fn(&str) + Send + Sync>;

/// Why authentication could not be set up or a token could not be obtained. Messages name the
/// source and the identity, never a secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{path}: {reason}")]
    CloudsFile { path: String, reason: String },
    #[error("cloud `{cloud}` (for {what}) is not defined: {read} (clouds.yaml and secure.yaml are looked for in OS_CLIENT_CONFIG_FILE / OS_CLIENT_SECURE_FILE, else the first of: {searched})")]
    UnknownCloud {
        cloud: String,
        what: String,
        read: String,
        searched: String,
    },
    #[error("{what}: {reason}")]
    Incomplete { what: String, reason: String },
    #[error("{what}: cannot reach Keystone at {url}: {reason}")]
    Unreachable {
        what: String,
        url: String,
        reason: String,
    },
    #[error("{what}: Keystone at {url} refused the credentials ({method}): {status} {message}")]
    Rejected {
        what: String,
        url: String,
        method: String,
        status: u16,
        message: String,
    },
    #[error("{what}: Keystone at {url} answered {status} to a token request: {message}")]
    Unexpected {
        what: String,
        url: String,
        status: u16,
        message: String,
    },
    #[error("{what}: the service catalog has no {wanted}; it offers: {offered}")]
    NoEndpoint {
        what: String,
        wanted: String,
        offered: String,
    },
    #[error("TLS: {0}")]
    Tls(#[from] tls::TlsError),
    #[error("--dynamic-personas: {0}")]
    Provision(String),
    #[error("`--persona {0}`: expected NAME=CLOUD with NAME one of other, third, admin, service, reader")]
    PersonaSpec(String),
}

/// A snapshot of the process environment and the places config files are searched, taken once
/// so the rest of the code reads no global state (and tests can pass their own).
#[derive(Debug, Clone, Default)]
pub struct Environment {
    pub vars: BTreeMap<String, String>,
    pub cwd: Option<PathBuf>,
    pub home: Option<PathBuf>,
}

impl Environment {
    pub fn capture() -> Environment {
        let vars: BTreeMap<String, String> = std::env::vars().collect();
        let home = vars.get("HOME").map(PathBuf::from);
        Environment {
            vars,
            cwd: std::env::current_dir().ok(),
            home,
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// One identity's settings, from any source. `None` means "not said here": a lower source may
/// still say it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub auth_url: Option<String>,
    pub auth_type: Option<String>,
    pub username: Option<String>,
    pub user_id: Option<String>,
    pub password: Option<String>,
    pub project_name: Option<String>,
    pub project_id: Option<String>,
    pub user_domain_name: Option<String>,
    pub user_domain_id: Option<String>,
    pub project_domain_name: Option<String>,
    pub project_domain_id: Option<String>,
    pub domain_name: Option<String>,
    pub domain_id: Option<String>,
    pub token: Option<String>,
    pub application_credential_id: Option<String>,
    pub application_credential_name: Option<String>,
    pub application_credential_secret: Option<String>,
    pub region_name: Option<String>,
    pub interface: Option<String>,
    pub cacert: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    pub insecure: Option<bool>,
}

// Debug without secrets: credentials end up in error paths and test failure output.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hide = |v: &Option<String>| v.as_ref().map(|_| "***");
        f.debug_struct("Credentials")
            .field("auth_url", &self.auth_url)
            .field("auth_type", &self.auth_type)
            .field("username", &self.username)
            .field("user_id", &self.user_id)
            .field("password", &hide(&self.password))
            .field("project_name", &self.project_name)
            .field("project_id", &self.project_id)
            .field("user_domain_name", &self.user_domain_name)
            .field("project_domain_name", &self.project_domain_name)
            .field("domain_name", &self.domain_name)
            .field("token", &hide(&self.token))
            .field("application_credential_id", &self.application_credential_id)
            .field(
                "application_credential_secret",
                &hide(&self.application_credential_secret),
            )
            .field("region_name", &self.region_name)
            .field("interface", &self.interface)
            .field("cacert", &self.cacert)
            .field("cert", &self.cert)
            .field("insecure", &self.insecure)
            .finish_non_exhaustive()
    }
}

macro_rules! overlay_fields {
    ($low:ident, $high:ident, $($f:ident),*) => {
        $( if $high.$f.is_some() { $low.$f = $high.$f; } )*
    };
}

impl Credentials {
    /// `self` with every value `higher` says replacing its own.
    pub fn overlaid(mut self, higher: Credentials) -> Credentials {
        overlay_fields!(
            self,
            higher,
            auth_url,
            auth_type,
            username,
            user_id,
            password,
            project_name,
            project_id,
            user_domain_name,
            user_domain_id,
            project_domain_name,
            project_domain_id,
            domain_name,
            domain_id,
            token,
            application_credential_id,
            application_credential_name,
            application_credential_secret,
            region_name,
            interface,
            cacert,
            cert,
            key,
            insecure
        );
        self
    }

    /// The `OS_*` variables OpenStack clients read.
    pub fn from_env(env: &Environment) -> Credentials {
        let s = |n: &str| env.get(n).map(str::to_string);
        let first = |names: &[&str]| names.iter().find_map(|n| s(n));
        Credentials {
            auth_url: s("OS_AUTH_URL"),
            auth_type: s("OS_AUTH_TYPE"),
            username: s("OS_USERNAME"),
            user_id: s("OS_USER_ID"),
            password: s("OS_PASSWORD"),
            project_name: first(&["OS_PROJECT_NAME", "OS_TENANT_NAME"]),
            project_id: first(&["OS_PROJECT_ID", "OS_TENANT_ID"]),
            user_domain_name: s("OS_USER_DOMAIN_NAME"),
            user_domain_id: s("OS_USER_DOMAIN_ID"),
            project_domain_name: s("OS_PROJECT_DOMAIN_NAME"),
            project_domain_id: s("OS_PROJECT_DOMAIN_ID"),
            domain_name: s("OS_DOMAIN_NAME"),
            domain_id: s("OS_DOMAIN_ID"),
            token: s("OS_TOKEN"),
            application_credential_id: s("OS_APPLICATION_CREDENTIAL_ID"),
            application_credential_name: s("OS_APPLICATION_CREDENTIAL_NAME"),
            application_credential_secret: s("OS_APPLICATION_CREDENTIAL_SECRET"),
            region_name: s("OS_REGION_NAME"),
            interface: s("OS_INTERFACE"),
            cacert: s("OS_CACERT"),
            cert: s("OS_CERT"),
            key: s("OS_KEY"),
            insecure: env
                .get("OS_INSECURE")
                .map(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes")),
        }
    }

    /// The secrets these credentials hold, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        [
            &self.password,
            &self.token,
            &self.application_credential_secret,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }

    pub fn tls(&self) -> tls::TlsSettings {
        tls::TlsSettings {
            cacert: self.cacert.as_ref().map(PathBuf::from),
            cert: self.cert.as_ref().map(PathBuf::from),
            key: self.key.as_ref().map(PathBuf::from),
            insecure: self.insecure.unwrap_or(false),
        }
    }
}

/// The run's main credentials (the `owner` persona) and those of the other personas, resolved
/// from every source.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// `flags > OS_* > clouds.yaml (OS_CLOUD / --os-cloud)`.
    pub main: Credentials,
    /// Where the main credentials' cloud came from, if a cloud was named.
    pub cloud: Option<String>,
    /// Other personas, each from its own cloud (`--persona other=CLOUD`).
    pub personas: BTreeMap<crate::persona::Persona, (String, Credentials)>,
}

/// Resolves the main credentials and the persona clouds.
///
/// `flags` holds what the command line said; `cloud` is `--os-cloud` (else `OS_CLOUD`);
/// `persona_specs` are `--persona NAME=CLOUD` values (else `IMGCONF_PERSONA_<NAME>` variables).
pub fn resolve(
    flags: Credentials,
    cloud: Option<&str>,
    persona_specs: &[String],
    env: &Environment,
) -> Result<Resolved, AuthError> {
    let cloud = cloud
        .map(str::to_string)
        .or_else(|| env.get("OS_CLOUD").map(str::to_string));
    let files = clouds::CloudsFiles::find(env)?;
    let base = match &cloud {
        Some(name) => files.cloud(name, "the main credentials")?,
        None => Credentials::default(),
    };
    let main = base.overlaid(Credentials::from_env(env)).overlaid(flags);
    let mut personas = BTreeMap::new();
    for (persona, cloud_name) in persona_clouds(persona_specs, env)? {
        let what = format!("persona {}", persona.name());
        let mut c = files.cloud(&cloud_name, &what)?;
        // TLS is one setting for the whole run (one HTTP client): the main credentials' own.
        c.cacert = None;
        c.cert = None;
        c.key = None;
        c.insecure = None;
        personas.insert(persona, (cloud_name, c));
    }
    Ok(Resolved {
        main,
        cloud,
        personas,
    })
}

/// `--persona NAME=CLOUD` values, or else `IMGCONF_PERSONA_OTHER` / `_THIRD` / `_ADMIN` / `_SERVICE` / `_READER`.
fn persona_clouds(
    specs: &[String],
    env: &Environment,
) -> Result<BTreeMap<crate::persona::Persona, String>, AuthError> {
    use crate::persona::Persona;
    let mut out = BTreeMap::new();
    for (name, p) in Persona::ALL {
        if p == Persona::Owner {
            continue;
        }
        if let Some(c) = env.get(&format!("IMGCONF_PERSONA_{}", name.to_ascii_uppercase())) {
            out.insert(p, c.to_string());
        }
    }
    for spec in specs {
        let (name, cloud) = spec
            .split_once('=')
            .filter(|(_, c)| !c.is_empty())
            .ok_or_else(|| AuthError::PersonaSpec(spec.clone()))?;
        match Persona::parse(name.trim()) {
            Some(p) if p != Persona::Owner => {
                out.insert(p, cloud.trim().to_string());
            }
            _ => return Err(AuthError::PersonaSpec(spec.clone())),
        }
    }
    Ok(out)
}

/// Replaces every secret the run knows (given ones, and every token obtained at run time) with
/// `***` in text bound for the console or a report file.
#[derive(Clone, Default)]
pub struct Redactor {
    fixed: Vec<String>,
    sessions: Vec<Arc<keystone::Session>>,
}

impl Redactor {
    pub fn new(fixed: Vec<String>, sessions: Vec<Arc<keystone::Session>>) -> Redactor {
        // Very short values would mask ordinary text; no real secret is that short.
        let fixed = fixed.into_iter().filter(|s| s.len() >= 4).collect();
        Redactor { fixed, sessions }
    }

    pub fn scrub(&self, text: &str) -> String {
        let mut secrets: Vec<String> = self.fixed.clone();
        for s in &self.sessions {
            secrets.extend(s.all_tokens());
        }
        // Longest first, so a secret containing another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let mut out = text.to_string();
        for s in secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
        out
    }
}

/// The identities of a Keystone run: one session per configured persona (`owner` = the main
/// credentials), and the image endpoint from the owner's catalog.
pub struct KeystoneRun {
    pub sessions: BTreeMap<crate::persona::Persona, Arc<keystone::Session>>,
    pub catalog_endpoint: Result<String, AuthError>,
    /// "password of user u (domain id default), project p" per persona, for the console and
    /// reports.
    pub describe: Vec<String>,
}

/// Gets a token for every persona before any case runs; the first refusal is the run's one error.
pub async fn connect(
    client: &reqwest::Client,
    resolved: &Resolved,
) -> Result<KeystoneRun, AuthError> {
    use crate::persona::Persona;
    let main = keystone::TokenRequest::from_credentials(&resolved.main, "the main credentials")?;
    let mut sessions = BTreeMap::new();
    let mut describe = Vec::new();
    let owner = keystone::Session::open(client.clone(), main, "owner").await?;
    describe.push(format!("owner: {}", owner.describe()));
    let catalog_endpoint = keystone::endpoint(
        &owner.issued().catalog,
        "image",
        resolved.main.interface.as_deref(),
        resolved.main.region_name.as_deref(),
        "the main credentials",
    );
    sessions.insert(Persona::Owner, Arc::new(owner));
    for (p, (cloud, creds)) in &resolved.personas {
        let what = format!("persona {} (cloud {cloud})", p.name());
        let req = keystone::TokenRequest::from_credentials(creds, &what)?;
        let s = keystone::Session::open(client.clone(), req, p.name()).await?;
        describe.push(format!("{}: {}", p.name(), s.describe()));
        sessions.insert(*p, Arc::new(s));
    }
    Ok(KeystoneRun {
        sessions,
        catalog_endpoint,
        describe,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_sources_win_field_by_field() {
        let low = Credentials {
            auth_url: Some("http://low".into()),
            username: Some("low".into()),
            ..Default::default()
        };
        let high = Credentials {
            username: Some("high".into()),
            ..Default::default()
        };
        let c = low.overlaid(high);
        assert_eq!(c.auth_url.as_deref(), Some("http://low"));
        assert_eq!(c.username.as_deref(), Some("high"));
    }

    #[test]
    fn debug_hides_secrets() {
        let c = Credentials {
            password: Some("hunter22".into()),
            application_credential_secret: Some("acsecret".into()),
            ..Default::default()
        };
        let d = format!("{c:?}");
        assert!(!d.contains("hunter22") && !d.contains("acsecret"), "{d}");
    }

    #[test]
    fn persona_specs_parse_and_reject() {
        let env = Environment {
            vars: [("IMGCONF_PERSONA_ADMIN".to_string(), "adm".to_string())].into(),
            ..Default::default()
        };
        let m = persona_clouds(&["other=c2".into()], &env).unwrap();
        assert_eq!(m.len(), 2);
        assert!(persona_clouds(&["owner=c1".into()], &env).is_err());
        assert!(persona_clouds(&["other".into()], &env).is_err());
    }

    #[test]
    fn redactor_masks_fixed_secrets() {
        let r = Redactor::new(vec!["s3cret-pw".into(), "ab".into()], Vec::new());
        assert_eq!(r.scrub("pw=s3cret-pw ab"), "pw=*** ab");
    }
}
