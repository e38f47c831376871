#!/usr/bin/env bash
# Create .venv with stdo, its dependencies and the test tools. Safe to run again.
# PyTorch is installed first, pinned to 2.13.0: where a local CPU wheel is provided (as on
# our CI machines) pip takes it; stdo's own torch range is open downward so nothing else
# pulls another torch build.
set -euo pipefail
cd "$(dirname "$0")/.."
# adb, slurm, munge, chromium, git for the tests that need them (as root with apt-get; else one line)
bash scripts/system-deps.sh
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "torch==${STDO_TORCH_VERSION:-2.13.0}"
# export (litert-torch, ~2 GB with jax): TFLite export and device benchmarks (snakemake bench);
# docs: mkdocs and its theme, for the site (mkdocs.yml) that .ci/run builds
.venv/bin/python -m pip install --quiet -e ".[${STDO_EXTRAS:-test,export,docs}]"
.venv/bin/python -c "import stdo, torch, av, snakemake; print('stdo', stdo.__version__, '| torch', torch.__version__, '| PyAV', av.__version__)"
