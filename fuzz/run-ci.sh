#!/bin/sh
# Runs each fuzz target briefly (about 30 s each, 90 s in all), from the
# committed seed corpora, as a CI smoke test: a crash, a hang (-timeout)
# or a huge allocation (-malloc_limit_mb) fails the run. Exits 0 with a
# message when cargo-fuzz is not installed. See docs/fuzzing.md.
#
#   fuzz/run-ci.sh            # every target, FUZZ_SECONDS (30) each
#   FUZZ_SECONDS=5 fuzz/run-ci.sh eval_gen
set -eu

cd "$(dirname "$0")/.."
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run-ci.sh: cargo-fuzz is not installed (cargo install cargo-fuzz); skipping the fuzz targets"
    exit 0
fi
# cargo-fuzz passes nightly flags (-Zsanitizer); a stable toolchain takes
# them with RUSTC_BOOTSTRAP=1.
if ! rustc --version | grep -q nightly; then
    export RUSTC_BOOTSTRAP=1
fi

seconds="${FUZZ_SECONDS:-30}"
targets="${*:-compile eval_src eval_gen decode_entry diff_cache}"
cargo fuzz build -O
status=0
for t in $targets; do
    # A scratch copy of the seeds: a CI run adds nothing to the repository.
    work="$(mktemp -d)"
    cp fuzz/corpus/"$t"/seed-* "$work"/ 2>/dev/null || true
    echo "== fuzzing $t for ${seconds}s"
    if cargo fuzz run -O "$t" "$work" -- \
        -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 -malloc_limit_mb=256 \
        -print_final_stats=1 >"$work.log" 2>&1; then
        grep -E '^#[0-9]+ +DONE|stat::number_of_executed_units' "$work.log" || tail -n 3 "$work.log"
    else
        tail -n 60 "$work.log"
        echo "fuzz/run-ci.sh: $t failed (the input that did it is in fuzz/artifacts/$t/)"
        status=1
    fi
    rm -rf "$work" "$work.log"
done
exit $status
