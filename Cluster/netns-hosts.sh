#!/bin/sh
# Hosts on one machine, for rehearsing a cluster and for the test suite (root, iproute2):
# network namespaces PREFIX1..PREFIXN with 10.199.0.K/24 on eth0, joined by a bridge that lives in
# namespace PREFIXsw. Nothing is routed out of them and the root namespace is never touched.
#
#   Cluster/netns-hosts.sh up N [PREFIX]        make N hosts (default prefix sg: sg1, sg2, ...)
#   Cluster/netns-hosts.sh down [PREFIX]        end every process inside them, then remove them
#   Cluster/netns-hosts.sh run HOST CMD [ARG..] run CMD on HOST: its network namespace and a UTS
#                                               namespace whose host name is HOST (exec: $! is CMD)
#   Cluster/netns-hosts.sh link HOST up|down    plug or unplug HOST's cable (its port on the bridge)
#
# mpirun between them: start it on one host and let it reach the others with the launch agent
# Cluster/netns-agent.sh instead of ssh (see the README's cluster section).
set -eu
cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
up)
    n=${1:?usage: netns-hosts.sh up N [PREFIX]}; p=${2:-sg}
    if ip netns list | grep -q "^${p}sw\b"; then echo "netns-hosts.sh: ${p}sw exists; run 'netns-hosts.sh down $p' first" >&2; exit 1; fi
    ip netns add "${p}sw"
    ip -n "${p}sw" link add br0 type bridge
    ip -n "${p}sw" link set br0 up
    k=1
    while [ "$k" -le "$n" ]; do
        ip netns add "$p$k"
        ip -n "$p$k" link set lo up
        ip link add "${p}v$k" type veth peer name eth0 netns "$p$k"
        ip link set "${p}v$k" netns "${p}sw"
        ip -n "${p}sw" link set "${p}v$k" name "p$k"
        ip -n "${p}sw" link set "p$k" master br0
        ip -n "${p}sw" link set "p$k" up
        ip -n "$p$k" addr add "10.199.0.$k/24" dev eth0
        ip -n "$p$k" link set eth0 up
        k=$((k + 1))
    done
    ;;
down)
    p=${1:-sg}
    for ns in $(ip netns list | awk -v p="$p" '$1 ~ "^" p "(sw|[0-9]+)$" {print $1}'); do
        # Deleting a namespace does not end the processes inside it.
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
        ip netns del "$ns"
    done
    ;;
run)
    host=${1:?usage: netns-hosts.sh run HOST CMD [ARG...]}; shift
    exec ip netns exec "$host" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$host" "$@"
    ;;
link)
    host=${1:?usage: netns-hosts.sh link HOST up|down}; state=${2:?usage: netns-hosts.sh link HOST up|down}
    p=$(echo "$host" | sed 's/[0-9]*$//'); k=$(echo "$host" | sed 's/^.*[^0-9]//')
    ip -n "${p}sw" link set "p$k" "$state"
    if [ "$state" = up ]; then
        # Forget the addresses that failed to resolve while the cable was out, then give the
        # port a moment: connections right after replugging otherwise fail now and then.
        for ns in $(ip netns list | awk -v p="$p" '$1 ~ "^" p "[0-9]+$" {print $1}'); do ip -n "$ns" neigh flush all 2>/dev/null || true; done
        sleep 1
    fi
    ;;
*)
    echo "usage: netns-hosts.sh up N [PREFIX] | down [PREFIX] | run HOST CMD... | link HOST up|down" >&2
    exit 2
    ;;
esac
