//! References users can follow: each case area's public page, and the resolution of names of
//! documents and notes that are not public (`docs/references.json`) to the public page or the
//! file in this repository holding the same facts.

use regex::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, Deserialize)]
pub struct Table {
    pub areas: BTreeMap<String, String>,
    pub names: BTreeMap<String, String>,
}

pub fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        serde_json::from_str(include_str!("../docs/references.json"))
            .expect("docs/references.json is checked by the tests")
    })
}

/// The public page of a case area.
pub fn area_url(area: &str) -> Option<&'static str> {
    table().areas.get(area).map(String::as_str)
}

/// Mentions of documents outside the repository and of private notes.
fn private_mention() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?:\.\./)?(?:shared/)?(?:spec|research)/[A-Za-z0-9._*/-]+|research catalogue|research(?: §[0-9.]+(?: item [0-9]+)?)?|(?:catalogue )?§[0-9.]+(?: item [0-9]+)?")
            .expect("a fixed pattern")
    })
}

/// The mentions in `text` that resolve to nothing (empty when all can be followed).
/// Section signs after an RFC number (`RFC 7233 §2.1`) are public.
pub fn unresolved(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for m in private_mention().find_iter(text) {
        if resolve_one(text, m.start(), m.as_str()).is_none() {
            out.push(m.as_str().to_string());
        }
    }
    out
}

fn resolve_one(text: &str, start: usize, mention: &str) -> Option<String> {
    if mention.starts_with('§') && Regex::new(r"RFC [0-9]+ $").ok()?.is_match(&text[..start]) {
        return Some(mention.to_string());
    }
    let names = &table().names;
    if let Some(url) = names.get(mention.trim_start_matches("../")) {
        return Some(url.clone());
    }
    // Numbered items of the research notes: their facts are the catalogue's entries.
    if mention.contains('§') {
        return names.get("research").cloned();
    }
    None
}

/// `text` with every private mention replaced by where it resolves (unresolved ones kept).
pub fn resolve_text(text: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for m in private_mention().find_iter(text) {
        out.push_str(&text[last..m.start()]);
        out.push_str(
            &resolve_one(text, m.start(), m.as_str()).unwrap_or_else(|| m.as_str().to_string()),
        );
        last = m.end();
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_names_become_public_pages_or_repo_files() {
        assert_eq!(
            resolve_text("Images API v2 (spec/glance-v2-image-metadata-calls.zh.txt)"),
            "Images API v2 (https://docs.openstack.org/api-ref/image/v2/index.html)"
        );
        assert_eq!(
            resolve_text("(research catalogue B068; §3 item 16)"),
            "(catalogue/behaviours.yaml B068; catalogue/behaviours.yaml)"
        );
        assert_eq!(resolve_text("RFC 7233 §2.1 suffix"), "RFC 7233 §2.1 suffix");
        assert_eq!(unresolved("see spec/unknown.txt"), ["spec/unknown.txt"]);
        assert!(unresolved("RFC 7233 §2.1").is_empty());
        assert!(area_url("tags").unwrap().ends_with("#image-tags"));
    }
}
