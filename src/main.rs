use clap::Parser;

fn main() {
    // Training steps reallocate the same buffer sizes every step: keep freed ones (train/heap.rs).
    inputgrad::train::heap::keep_freed_memory();
    let cli = inputgrad::cli::Cli::parse();
    match inputgrad::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
