use clap::Parser;
use imgconf::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => imgconf::app::run(*args),
        Command::Serve(args) => imgconf::app::serve(args),
        Command::Coverage(args) => imgconf::app::coverage(args),
        Command::Faults => imgconf::app::faults(),
        Command::Report(args) => imgconf::app::report(args),
        Command::Compare(args) => imgconf::compare::command::main(
            &args.a,
            &args.b,
            &imgconf::compare::command::Outputs {
                md: args.md,
                html: args.html,
                json: args.json,
            },
            args.quiet,
        ),
        Command::Cleanup(args) => imgconf::app::cleanup(*args),
    }
}
