#!/usr/bin/env bash
# Regenerates the bundled demo extract in fixtures/demo/ (a test checks this command
# reproduces the committed files byte for byte).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet -- simulate --out fixtures/demo --scale 0.001 --seed 2025 --quiet
