#!/usr/bin/env bash
# A real single-node Slurm on this machine, started by hand (no systemd), for the test suite and
# for rehearsing Cluster/slurm-train.sbatch. Needs root and Debian's slurmctld, slurmd,
# slurm-client and munge.
#
#   Cluster/slurm-local.sh up DIR     write DIR/slurm.conf (this node as `slurmd -C` sees it),
#                                     start munged, slurmctld and slurmd; wait for the node
#   Cluster/slurm-local.sh down DIR   cancel every job, stop what `up` started
#
# Then: export SLURM_CONF=DIR/slurm.conf; sbatch ...; squeue; scancel ...
set -eu
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: slurm-local.sh up|down DIR" >&2; exit 2; }
conf=$dir/slurm.conf
case $cmd in
up)
    # The daemons must not keep any descriptor this script inherited beyond stdin/out/err: a
    # caller that waits for the end of this script by the end of one of them would wait forever.
    # (Sockets and pipes only: the shell reads this script through a descriptor of its own.)
    for fd in /proc/$$/fd/*; do
        n=${fd##*/}
        case $(readlink "$fd" 2>/dev/null) in
            socket:*|pipe:*) [ "$n" -gt 2 ] && eval "exec $n>&-" 2>/dev/null || true ;;
        esac
    done
    mkdir -p "$dir/state" "$dir/spool"
    host=$(hostname -s)
    node=$(slurmd -C | head -1)
    cat > "$conf" <<CONF
ClusterName=swiftgan
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
KillWait=30
$node State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    if ! pgrep -x munged >/dev/null; then
        mkdir -p /run/munge && chown munge:munge /run/munge
        runuser -u munge -- munged </dev/null >/dev/null 2>&1
        echo started > "$dir/munged.started"
    fi
    slurmctld -f "$conf" </dev/null >/dev/null 2>&1
    slurmd -f "$conf" </dev/null >/dev/null 2>&1
    export SLURM_CONF="$conf"
    i=0
    until sinfo -h -o %T 2>/dev/null | grep -q idle; do
        i=$((i + 1))
        [ $i -lt 100 ] || { echo "slurm-local.sh: the node did not become idle; see $dir/*.log" >&2; exit 1; }
        sleep 0.2
    done
    ;;
down)
    export SLURM_CONF="$conf"
    scancel --full -u root 2>/dev/null || true
    for d in slurmd slurmctld; do
        [ -f "$dir/$d.pid" ] && kill "$(cat "$dir/$d.pid")" 2>/dev/null || true
    done
    if [ -f "$dir/munged.started" ]; then pkill -x munged || true; rm -f "$dir/munged.started"; fi
    ;;
*)
    echo "usage: slurm-local.sh up|down DIR" >&2; exit 2 ;;
esac
