# The commands CI runs, and a few more. Logic lives in scripts/ or Rust, not here.

# What CI checks, but the browser test is optional here and the offline build not run
check: fmt clippy boundaries test-slow

boundaries:
    bash .ci/boundaries

fmt:
    cargo fmt --all --check

clippy:
    cargo clippy --workspace --all-targets --all-features -- -D warnings

test:
    cargo test --workspace

# As CI runs the tests: truth recovery and the attack lab's heavy designs included
test-slow:
    CUMIN_SLOW_TESTS=1 cargo test --workspace

# The whole path on the bundled extract
demo:
    cargo run --release -- demo

# Regenerate the bundled demo extract
demo-fixture:
    scripts/make-demo-fixture.sh

# Regenerate the simulated inputs of fixtures/jay2025-r (not their R counts: see its README)
jay-r-fixture:
    scripts/make-jay2025-r-fixture.sh

# Time and peak memory of `cumin simulate` at scales 0.02 and 1.0 (docs/benchmarks.md)
bench-simulate:
    scripts/bench-simulate.sh

# The England-scale benchmark of issue 20: cumin's jobs, the decode floor, a DuckDB peer (docs/benchmarks.md)
bench *ARGS:
    scripts/bench.sh {{ARGS}}

# Reading the England-scale extract (CSV, Parquet) against plain arrow-rs (docs/benchmarks.md)
bench-ingest *ARGS:
    scripts/bench-ingest.sh {{ARGS}}

# Truth recovery on simulated extracts (docs/validation.md); slow: minutes per run
truth-recovery *ARGS:
    cargo build --release
    python3 scripts/truth-recovery.py {{ARGS}}

# Coverage of the 95% intervals over 200 small replicates (docs/validation.md)
coverage-study *ARGS:
    cargo build --release
    python3 scripts/coverage-study.py {{ARGS}}
