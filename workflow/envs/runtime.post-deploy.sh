#!/usr/bin/env bash
# Snakemake runs this once in a freshly created runtime environment, from the working
# directory; an editable install keeps the jobs on the checkout's src/scorematch.
set -euo pipefail
test -f pyproject.toml && test -d src/scorematch || {
    echo "runtime.post-deploy.sh: run Snakemake from the repository root (no src/scorematch in $PWD)" >&2
    exit 1
}
python -m pip install --no-deps --no-build-isolation -e .
