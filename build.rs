//! Generates the parser from `grammar/memo.lalrpop` into OUT_DIR.
fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    lalrpop::Configuration::new()
        .set_in_dir("grammar")
        .set_out_dir(out)
        .emit_rerun_directives(true)
        .process()
        .expect("lalrpop failed to generate the parser");
    // The `memo` binary is linked as a fixed-address (non-PIE) executable on
    // Linux: the dynamic loader then has no relocations to apply to it at
    // start, which is about a tenth of the time of `memo run` on a short
    // script (see docs/performance.md). The library is unaffected.
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
