#!/usr/bin/env bash
# Stop exactly the daemons single-node-up.sh started, by recorded PID, in reverse order.
STATE=${STATE:-/tmp/slurm-ci}
for d in slurmd slurmctld slurmdbd mariadbd munged; do
  f="$STATE/$d.pid"; [[ -f $f ]] || continue
  p=$(cat "$f"); kill "$p" 2>/dev/null && for i in $(seq 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
  rm -f "$f"
done
