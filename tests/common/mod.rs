//! Shared helpers of the theorem test files.

use inputgrad::verify::{self, Verdict};

/// Runs the registered check `id` and returns its verdict, failing the test (with the check's
/// detail) if the verdict is `fails`.
pub fn verdict(id: &str) -> Verdict {
    let row = verify::find(id).unwrap_or_else(|| panic!("no check {id}")).evaluate();
    assert_ne!(row.verdict, Verdict::Fails, "{id}: {} (statistic {:e} vs {:e})", row.detail, row.statistic, row.tolerance);
    row.verdict
}

/// One `#[test]` per registered check, asserting its expected verdict.
#[macro_export]
macro_rules! registered {
    ($($(#[$doc:meta])* $name:ident => $id:literal, $want:ident;)*) => {$(
        $(#[$doc])*
        #[test]
        fn $name() {
            assert_eq!(common::verdict($id), inputgrad::verify::Verdict::$want);
        }
    )*};
}
