//! Embeds `cases/` (and its step templates, `cases/templates/`), `fixtures/schemas/` and
//! `profiles/` so the binary certifies without a checkout.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let mut out = String::from("pub static FILES: &[(&str, &str)] = &[\n");
    for (dir, ext) in [
        ("cases", "yaml"),
        ("fixtures/schemas", "json"),
        ("profiles", "yaml"),
        ("catalogue", "yaml"),
        ("cases/templates", "yaml"),
    ] {
        let abs = Path::new(&root).join(dir);
        println!("cargo:rerun-if-changed={}", abs.display());
        let Ok(entries) = std::fs::read_dir(&abs) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(&format!(".{ext}")))
            .collect();
        names.sort();
        for name in names {
            let file = abs.join(&name);
            println!("cargo:rerun-if-changed={}", file.display());
            writeln!(
                out,
                "    ({:?}, include_str!({:?})),",
                format!("{dir}/{name}"),
                file.display().to_string()
            )
            .unwrap();
        }
    }
    out.push_str("];\n");
    // The commit the binary was built from, for reports; "unknown" outside a git checkout.
    let commit =
        git(&root, &["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=IMGCONF_COMMIT={commit}");
    // HEAD names the branch; the commit moves in the branch's ref (loose or packed). Asking git
    // for the paths covers worktrees, whose `.git` is a file.
    for args in [
        &["rev-parse", "--git-path", "HEAD"][..],
        &["rev-parse", "--git-path", "packed-refs"],
    ] {
        if let Some(p) = git(&root, args) {
            println!(
                "cargo:rerun-if-changed={}",
                Path::new(&root).join(p).display()
            );
        }
    }
    if let Some(branch) = git(&root, &["symbolic-ref", "-q", "HEAD"]) {
        if let Some(p) = git(&root, &["rev-parse", "--git-path", &branch]) {
            println!(
                "cargo:rerun-if-changed={}",
                Path::new(&root).join(p).display()
            );
        }
    }
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("embedded.rs");
    std::fs::write(dest, out).unwrap();
}

/// One line of git's answer, if git runs and succeeds here.
fn git(root: &str, args: &[&str]) -> Option<String> {
    std::process::Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}
