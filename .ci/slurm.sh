#!/usr/bin/env bash
# CI: run a quick-scale slice of the workflow through a real one-node SLURM cluster on this
# machine, with the repository's profile (workflow/profiles/slurm), and check that every job went
# through the scheduler. Debian 12, run as root, no systemd: installs slurm-wlm and munge with
# apt-get, starts munged, slurmctld and slurmd by hand and stops them on exit (also on failure).
# Needs snakemake and snakemake-executor-plugin-slurm on PATH (pip install -e '.[slurm]').
# No slurmdbd here, so no sacct: the executor polls with squeue (else it waits forever) and every
# step runs under `timeout`.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
TARGETS=(results/quick/mi/szt-tanh/bin-size-0.07.nc results/quick/mi/szt-tanh/bin-size-0.3.nc)
RULES="dataset estimate train"   # the rules of that slice; each must have run as a SLURM job

stop_cluster() {
  # cancel what is left (a failed or timed-out run) while slurmd can still end its processes
  scancel --user="$(id -un)" 2>/dev/null || true
  for _ in $(seq 30); do
    [ -z "$(squeue -h -t RUNNING,PENDING,COMPLETING 2>/dev/null)" ] && break
    sleep 1
  done
  for f in /run/slurmd.pid /run/slurmctld.pid /run/munge/munged.pid; do
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  # No slurm.conf of a stopped controller may outlive the slice: with one, every `scontrol`
  # retries for ~9 s, and the SLURM executor plugin runs `scontrol show config` whenever
  # snakemake starts, so each snakemake call of the tests beside would wait that long.
  if [ -e "$work/slurm.conf.before" ]; then
    cp "$work/slurm.conf.before" /etc/slurm/slurm.conf
  else
    rm -f /etc/slurm/slurm.conf
  fi
  rm -rf "$work"
  return 0
}

install_packages() {
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    timeout 300 apt-get update -qq >/dev/null
    timeout 300 apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
  fi
}

# `.ci/slurm.sh --install`: only the packages (.ci/run installs them beside pip's install)
if [ "${1:-}" = --install ]; then
  install_packages
  exit
fi

start_cluster() {
  install_packages
  install -d -o munge -g munge -m 0755 /run/munge
  if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --force
    chown munge:munge /etc/munge/munge.key
  fi
  runuser -u munge -- /usr/sbin/munged
  munge -n | unmunge >/dev/null
  local node memory
  node=$(hostname -s)
  getent hosts "$node" >/dev/null || echo "127.0.0.1 $node" >>/etc/hosts
  memory=$(( $(awk '/^MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
  # MinJobAge keeps finished jobs in squeue, which the executor polls (>= 3 x its first wait)
  cat >/etc/slurm/slurm.conf <<CONF
ClusterName=ci
SlurmctldHost=$node
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
NodeName=$node CPUs=$(nproc) RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  install -d -o slurm -g slurm /var/spool/slurmctld /var/log/slurm
  install -d /var/spool/slurmd
  slurmctld -c   # -c: no jobs recovered from an earlier run's saved state
  slurmd -c
  for _ in $(seq 60); do
    sinfo -h -o %T 2>/dev/null | grep -qx idle && return 0
    sleep 1
  done
  echo "SLURM node did not become idle; see /var/log/slurm/" >&2
  return 1
}

# A copy of the workflow, so that the slice's tiny results stay out of the checkout
work=$(mktemp -d)
cp -r Snakefile config.yaml workflow src "$work"
[ -e /etc/slurm/slurm.conf ] && cp /etc/slurm/slurm.conf "$work/slurm.conf.before"
trap stop_cluster EXIT
start_cluster
repository=$(pwd)
cd "$work"
# The jobs run the checkout's code (byte-identical to the copy the DAG reads): numba keys its
# cache on the source files' paths, so the slice's jobs and pytest's processes share the
# compiled kernels, each compiled by one of them (kernel_cache.compile_once), not by both.
export PYTHONPATH="$repository/src"

# The repository's profile, with this cluster's settings on top: CPU node (train_gpus=0),
# memory within the node, squeue polling, logs kept as evidence. The slice: quick scale cut to
# 2 repetitions x 30 epochs, one experiment under two estimators (data, train, estimate jobs).
cat >ci-slice.yaml <<'YAML'
scale: quick
train_gpus: 0
quick: {repetitions: 2, epochs: 30, snapshots: 10}
YAML
timeout -k 10 420 snakemake "${TARGETS[@]}" --profile workflow/profiles/slurm \
  --configfile config.yaml ci-slice.yaml --jobs 2 --retries 0 --latency-wait 10 \
  --default-resources slurm_partition=debug runtime=10 mem_mb=1000 \
  --set-resources train:mem_mb=2000 estimate:mem_mb=2000 \
  --slurm-status-command squeue --slurm-no-account \
  --slurm-init-seconds-before-status-checks 2 --slurm-keep-successful-logs

# Evidence: the scheduler knows each job, and each rule of the slice ran as one of them.
squeue --states=all -h -o '%i %T %k'
failed=$(squeue --states=all -h -o '%T' | grep -cvx COMPLETED || true)
[ "$failed" = 0 ] || { echo "SLURM: $failed job(s) did not complete" >&2; exit 1; }
for rule in $RULES; do
  ls .snakemake/slurm_logs/rule_"$rule"/*/*.log >/dev/null 2>&1 \
    || ls .snakemake/slurm_logs/rule_"$rule"/*.log >/dev/null 2>&1 \
    || { echo "SLURM: no job of rule $rule went through the scheduler" >&2; exit 1; }
done
for target in "${TARGETS[@]}"; do [ -s "$target" ] || { echo "missing $target" >&2; exit 1; }; done
echo "SLURM: $(squeue --states=all -h | wc -l) jobs ran through the scheduler"
