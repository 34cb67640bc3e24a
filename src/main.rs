use clap::Parser;

fn main() {
    let cli = inputgrad::cli::Cli::parse();
    match inputgrad::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
