//! Every reference a user meets can be followed: each case area has a public page, and every
//! mention of a document or note outside the repository in cases/, profiles/, catalogue/ and
//! the README resolves (docs/references.json) to a public page or a file in this repository.

use std::path::Path;

fn files(dir: &str) -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    out
}

#[test]
fn every_reference_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = files("cases");
    sources.extend(files("profiles"));
    sources.extend(files("catalogue"));
    sources.push(root.join("README.md"));
    let mut problems = Vec::new();
    for path in &sources {
        let text = std::fs::read_to_string(path).unwrap();
        for (n, line) in text.lines().enumerate() {
            for m in imgconf::references::unresolved(line) {
                problems.push(format!("{}:{}: {m}", path.display(), n + 1));
            }
        }
        if path.parent().unwrap().ends_with("cases") {
            let area = text
                .lines()
                .find_map(|l| l.strip_prefix("area: "))
                .unwrap()
                .trim();
            if imgconf::references::area_url(area).is_none() {
                problems.push(format!(
                    "{}: area {area} has no public page",
                    path.display()
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "references nobody can follow:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_table_points_at_public_pages_or_repository_files() {
    let t = imgconf::references::table();
    for url in t.areas.values() {
        assert!(
            url.starts_with("https://docs.openstack.org/api-ref/image/v2/")
                && url.contains(".html#"),
            "{url}"
        );
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, to) in &t.names {
        assert!(
            to.starts_with("https://") || root.join(to).is_file(),
            "{name} -> {to}: neither public nor in the repository"
        );
    }
}
