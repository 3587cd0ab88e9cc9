//! `clouds.yaml` and `secure.yaml`, found where openstacksdk looks for them: `OS_CLIENT_CONFIG_FILE`
//! (`OS_CLIENT_SECURE_FILE`) if set, else the first of the current directory,
//! `$XDG_CONFIG_HOME/openstack` (`~/.config/openstack`) and `/etc/openstack` that has the file
//! (`.yaml`, then `.yml`). The first file found wins; `secure.yaml` is merged over it, key by key,
//! so passwords can live apart from the rest.

use super::{AuthError, Credentials, Environment};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The config files a run would read, found once; read when a cloud is asked for.
#[derive(Debug, Clone)]
pub struct CloudsFiles {
    pub clouds: Option<PathBuf>,
    pub secure: Option<PathBuf>,
    /// The directories searched, in order (for the error that names an unknown cloud).
    pub dirs: Vec<PathBuf>,
}

/// The directories searched, in order.
pub fn search_dirs(env: &Environment) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(cwd) = &env.cwd {
        dirs.push(cwd.clone());
    }
    match env.get("XDG_CONFIG_HOME") {
        Some(x) => dirs.push(Path::new(x).join("openstack")),
        None => {
            if let Some(h) = &env.home {
                dirs.push(h.join(".config").join("openstack"));
            }
        }
    }
    dirs.push(PathBuf::from("/etc/openstack"));
    dirs
}

impl CloudsFiles {
    pub fn find(env: &Environment) -> Result<CloudsFiles, AuthError> {
        let dirs = search_dirs(env);
        let pick = |explicit: Option<&str>, stem: &str| -> Result<Option<PathBuf>, AuthError> {
            if let Some(p) = explicit {
                let p = PathBuf::from(p);
                if !p.is_file() {
                    return Err(AuthError::CloudsFile {
                        path: p.display().to_string(),
                        reason:
                            "no such file (named by OS_CLIENT_CONFIG_FILE / OS_CLIENT_SECURE_FILE)"
                                .into(),
                    });
                }
                return Ok(Some(p));
            }
            for d in &dirs {
                for ext in ["yaml", "yml"] {
                    let p = d.join(format!("{stem}.{ext}"));
                    if p.is_file() {
                        return Ok(Some(p));
                    }
                }
            }
            Ok(None)
        };
        let clouds = pick(env.get("OS_CLIENT_CONFIG_FILE"), "clouds")?;
        let secure = pick(env.get("OS_CLIENT_SECURE_FILE"), "secure")?;
        Ok(CloudsFiles {
            clouds,
            secure,
            dirs,
        })
    }

    /// The named cloud from clouds.yaml with secure.yaml merged over it. `what` says who needs
    /// it (for errors).
    pub fn cloud(&self, name: &str, what: &str) -> Result<Credentials, AuthError> {
        let mut merged = Value::Null;
        let mut found = false;
        for path in [&self.clouds, &self.secure].into_iter().flatten() {
            let doc = read(path)?;
            if let Some(c) = doc.pointer(&format!("/clouds/{}", escape(name))) {
                found = true;
                merge(&mut merged, c.clone());
            }
        }
        if !found || self.clouds.is_none() {
            let read: Vec<String> = [&self.clouds, &self.secure]
                .into_iter()
                .flatten()
                .map(|p| p.display().to_string())
                .collect();
            let dirs: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
            return Err(AuthError::UnknownCloud {
                cloud: name.to_string(),
                what: what.to_string(),
                read: if read.is_empty() {
                    "no clouds.yaml found".into()
                } else {
                    format!("read {}", read.join(" and "))
                },
                searched: dirs.join(", "),
            });
        }
        Ok(credentials(&merged))
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn read(path: &Path) -> Result<Value, AuthError> {
    let err = |reason: String| AuthError::CloudsFile {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let doc: Value = crate::yaml::from_str(&text).map_err(|e| err(format!("not YAML: {e}")))?;
    if !doc.get("clouds").is_none_or(Value::is_object) {
        return Err(err("`clouds` must be a mapping of cloud names".into()));
    }
    Ok(doc)
}

/// Deep merge: mappings key by key, anything else replaced by `high`.
fn merge(low: &mut Value, high: Value) {
    match (low, high) {
        (Value::Object(l), Value::Object(h)) => {
            for (k, v) in h {
                merge(l.entry(k).or_insert(Value::Null), v);
            }
        }
        (l, h) => *l = h,
    }
}

/// A scalar as text (YAML makes `project_name: 123` a number).
fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn credentials(cloud: &Value) -> Credentials {
    let auth = cloud.get("auth").cloned().unwrap_or(Value::Null);
    let a = |k: &str| text(&auth, k);
    let c = |k: &str| text(cloud, k);
    // `verify: false` is clouds.yaml's spelling of --insecure.
    let insecure = cloud.get("verify").and_then(Value::as_bool).map(|v| !v);
    Credentials {
        auth_url: a("auth_url"),
        auth_type: c("auth_type"),
        username: a("username"),
        user_id: a("user_id"),
        password: a("password"),
        project_name: a("project_name").or_else(|| a("tenant_name")),
        project_id: a("project_id").or_else(|| a("tenant_id")),
        user_domain_name: a("user_domain_name"),
        user_domain_id: a("user_domain_id"),
        project_domain_name: a("project_domain_name"),
        project_domain_id: a("project_domain_id"),
        domain_name: a("domain_name"),
        domain_id: a("domain_id"),
        token: a("token"),
        application_credential_id: a("application_credential_id"),
        application_credential_name: a("application_credential_name"),
        application_credential_secret: a("application_credential_secret"),
        region_name: c("region_name"),
        interface: c("interface"),
        cacert: c("cacert"),
        cert: c("cert"),
        key: c("key"),
        insecure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_yaml_merges_over_clouds_yaml() {
        let mut low: Value = crate::yaml::from_str(
            "clouds: {c: {region_name: R1, auth: {auth_url: 'http://k/v3', username: u, password: old}}}",
        )
        .unwrap();
        let high: Value = crate::yaml::from_str("clouds: {c: {auth: {password: new}}}").unwrap();
        merge(&mut low, high);
        let c = credentials(low.pointer("/clouds/c").unwrap());
        assert_eq!(c.password.as_deref(), Some("new"));
        assert_eq!(c.username.as_deref(), Some("u"));
        assert_eq!(c.region_name.as_deref(), Some("R1"));
    }

    #[test]
    fn verify_false_means_insecure_and_numbers_are_text() {
        let v: Value = crate::yaml::from_str("{verify: false, auth: {project_name: 123}}").unwrap();
        let c = credentials(&v);
        assert_eq!(c.insecure, Some(true));
        assert_eq!(c.project_name.as_deref(), Some("123"));
    }
}
