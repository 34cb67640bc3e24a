fn main() {
    // Training steps reallocate the same buffer sizes every step: keep freed ones (train/heap.rs).
    inputgrad::train::heap::keep_freed_memory();
    let cli = inputgrad::cli::parse();
    match inputgrad::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        // A reader that stops early (`inputgrad verify --json | head -1`) is not an error.
        Err(e) if e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)) => std::process::exit(0),
        Err(e) => {
            eprintln!("error: {}", inputgrad::cli::error_chain(&e));
            std::process::exit(2);
        }
    }
}
