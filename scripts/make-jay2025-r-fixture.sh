#!/usr/bin/env bash
# Regenerates the simulated inputs of fixtures/jay2025-r/ (a test checks these commands
# reproduce the committed episodes.csv and denominators.csv byte for byte). It does not
# remake the expected counts: those come from the published R scripts, run once by hand
# as fixtures/jay2025-r/README.md describes.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet -- simulate --out fixtures/jay2025-r/seed17 --scale 0.002 --seed 17 --format csv --params fixtures/jay2025-r/params.toml --quiet
cargo run --release --quiet -- simulate --out fixtures/jay2025-r/seed21 --scale 0.002 --seed 21 --format csv --params fixtures/jay2025-r/params.toml --quiet
# The truth is not part of the fixture (and would take it over 3 MB).
rm fixtures/jay2025-r/seed17/truth.json fixtures/jay2025-r/seed21/truth.json
