//! Prints the table of proofs/conjecture1.md: the exact ℓ∞-adversarial margin of Conjecture 1's
//! ν~ against the best axis-aligned measure ν_{a,b}, for several d and ε.
//!
//! Run: `cargo run --release --example conjecture1_table`

use inputgrad::theory::adversarial_margin as am;
use inputgrad::theory::block_data::BlockSpec;
use inputgrad::theory::max_margin::gamma_star;

fn main() -> inputgrad::Result<()> {
    let eps = [0.0, 0.1, 0.2, 0.3, 1.0 / 3.0, 0.35, 0.4, 0.45, 0.49];
    println!("| d | eps | margin(nu~) | best nu_(a,b) margin | a | b | best / nu~ |");
    println!("|---|---|---|---|---|---|---|");
    for d in [2usize, 4, 6, 8, 10] {
        for &e in &eps {
            let t = am::nu_tilde_margin_closed_form(d, e);
            let (m, a, b) = am::best_axis_aligned(d, e)?;
            let ratio = if t > 0.0 { format!("{:.3}", m / t) } else { "nu~ not robust".into() };
            println!("| {d} | {e:.3} | {t:.5} | {m:.5} | {a:.4} | {b:.4} | {ratio} |");
        }
        let spec = BlockSpec::scalar(d, 0.0)?;
        println!("| {d} | std. max-margin gamma* (eps=0) | | {:.5} | | | |", gamma_star(&spec));
    }
    Ok(())
}
