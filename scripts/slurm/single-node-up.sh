#!/usr/bin/env bash
# Single-node SLURM on loopback (munge, slurmctld, slurmd; no systemd), as root, for tests and
# trying the cluster profile on one machine. Usage: single-node-up.sh [--with-dbd]
# PIDs go to $STATE/*.pid; single-node-down.sh stops exactly those daemons.
# One fake GPU (gres gpu File=/dev/null) lets --gpus=1 jobs schedule.
set -euo pipefail
WITH_DBD=0; [[ "${1:-}" == "--with-dbd" ]] && WITH_DBD=1
STATE=${STATE:-/tmp/slurm-ci}; mkdir -p "$STATE"
t0=$(date +%s)
PKGS="slurmctld slurmd slurm-client munge"
(( WITH_DBD )) && PKGS="$PKGS slurmdbd mariadb-server"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PKGS >/dev/null
  echo "apt done after $(( $(date +%s)-t0 ))s"
fi

mkdir -p /etc/slurm /run/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm \
         /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
[[ -s /etc/munge/munge.key ]] || { dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none;
  chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }

# munged daemonizes itself; its pid file is /run/munge/munged.pid
runuser -u munge -- /usr/sbin/munged
cp /run/munge/munged.pid "$STATE/munged.pid"
munge -n | unmunge >/dev/null

MEM=$(( $(free -m | awk '/^Mem:/{print $2}') - 1024 ))
if (( WITH_DBD )); then
  ACCT=$'AccountingStorageType=accounting_storage/slurmdbd\nAccountingStorageHost=localhost\nAccountingStoragePort=6819\nJobAcctGatherType=jobacct_gather/linux'
else
  ACCT=$'AccountingStorageType=accounting_storage/none\nJobAcctGatherType=jobacct_gather/none\nJobCompType=jobcomp/filetxt\nJobCompLoc=/var/log/slurm/jobcomp.log'
fi
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
GresTypes=gpu
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
$ACCT
MinJobAge=300
InactiveLimit=0
KillWait=30
Waittime=0
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$MEM Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
# one fake GPU so that --gpus=1 / --gres=gpu:1 jobs schedule (no real device behind it)
echo "NodeName=localhost Name=gpu File=/dev/null" > /etc/slurm/gres.conf

if (( WITH_DBD )); then
  mkdir -p /run/mysqld; chown mysql:mysql /run/mysqld
  setsid nohup /usr/sbin/mariadbd --user=mysql --bind-address=127.0.0.1 \
      --socket=/run/mysqld/mysqld.sock > "$STATE/mariadb.out" 2>&1 < /dev/null &
  echo $! > "$STATE/mariadbd.pid"
  for i in $(seq 60); do mysqladmin ping --silent 2>/dev/null && break; sleep 0.5; done
  mysql -u root -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
    CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurmpw';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
  cat > /etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdPort=6819
SlurmUser=root
LogFile=/var/log/slurm/slurmdbd.log
PidFile=/run/slurm/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageLoc=slurm_acct_db
StorageUser=slurm
StoragePass=slurmpw
CONF
  chmod 600 /etc/slurm/slurmdbd.conf
  setsid nohup /usr/sbin/slurmdbd -D > "$STATE/slurmdbd.out" 2>&1 < /dev/null &
  echo $! > "$STATE/slurmdbd.pid"
  for i in $(seq 60); do sacctmgr -n show cluster >/dev/null 2>&1 && break; sleep 0.5; done
  sacctmgr -i add cluster local >/dev/null 2>&1 || true
fi

setsid nohup /usr/sbin/slurmctld -D -i > "$STATE/slurmctld.out" 2>&1 < /dev/null &
echo $! > "$STATE/slurmctld.pid"
for i in $(seq 60); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.5; done
setsid nohup /usr/sbin/slurmd -D -N localhost > "$STATE/slurmd.out" 2>&1 < /dev/null &
echo $! > "$STATE/slurmd.pid"
for i in $(seq 60); do sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)' && break; sleep 0.5; done
sinfo -o "%P %a %D %t %N %G"
sbatch --wait -o "$STATE/smoke-%j.out" --wrap 'hostname' >/dev/null
srun hostname
srun --gpus=1 printenv CUDA_VISIBLE_DEVICES
echo "SLURM up after $(( $(date +%s)-t0 ))s; pids in $STATE/*.pid"
