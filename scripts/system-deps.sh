#!/usr/bin/env bash
# The Debian packages some tests need, installed with apt-get when run as root; otherwise one line
# naming the command that installs them (the tests that need them then skip, saying the same).
# Called by scripts/setup.sh (and so by .ci/run); STDO_SYSTEM_DEPS=0 leaves it out, and
# STDO_SYSTEM_DEPS=require (.ci/run) makes a package it cannot install an error.
#   git                                  provenance (git revision in every sidecar), the DVC test
#   slurmctld slurmd slurm-client munge  the SLURM test (a single-node cluster on loopback)
#   adb                                  the device benchmark's tests (Debian's real adb client)
#   chromium                             the report test (results/report.html in a headless browser)
set -euo pipefail
[ "${STDO_SYSTEM_DEPS:-1}" = 0 ] && exit 0
need=""
command -v git >/dev/null || need="$need git"
{ command -v slurmctld >/dev/null || [ -x /usr/sbin/slurmctld ]; } || need="$need slurmctld slurmd slurm-client munge"
command -v adb >/dev/null || need="$need adb"
{ command -v chromium >/dev/null || command -v chromium-browser >/dev/null; } || need="$need chromium"
need=${need# }
[ -n "$need" ] || exit 0
fail=0
[ "${STDO_SYSTEM_DEPS:-1}" = require ] && fail=1
cmd="apt-get install -y --no-install-recommends $need"
if ! command -v apt-get >/dev/null; then
  echo "system-deps: no apt-get here; install the equivalents of: $need (or the tests that need them skip)"
  exit $fail
elif [ "$(id -u)" != 0 ]; then
  echo "system-deps: not root; to run every test: sudo $cmd"
  exit $fail
else
  export DEBIAN_FRONTEND=noninteractive
  echo "system-deps: $cmd"
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $need >/dev/null; }; then
    echo "system-deps: apt-get failed; the tests that need $need skip (retry: $cmd)"
    exit $fail
  fi
fi
