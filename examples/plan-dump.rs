//! Prints every case's plan in the canonical form of `imgconf::case::plan::dump`: the built-in
//! cases, or those of the directory given as the only argument. Two dumps that are equal mean
//! two spellings of the case files run the same requests with the same checks.

fn main() {
    let dir = std::env::args_os().nth(1).map(std::path::PathBuf::from);
    match imgconf::suite::Suite::load(dir.as_deref(), None) {
        Ok(suite) => print!("{}", imgconf::case::plan::dump(&suite.cases)),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
