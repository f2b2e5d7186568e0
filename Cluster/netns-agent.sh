#!/bin/sh
# mpirun's launch agent for the hosts of Cluster/netns-hosts.sh, in place of ssh:
#   mpirun --mca plm_rsh_agent Cluster/netns-agent.sh ...
# mpirun calls it like ssh, "AGENT HOST COMMAND...", with HOST a name (PREFIXK) or an address
# (10.199.0.K); the prefix of address-named hosts comes from SWIFTGAN_NETNS_PREFIX (default sg).
# COMMAND runs under sh -c in that host's network namespace and in a UTS namespace named after it.
host=$1; shift
case $host in
    10.199.0.*) ns=${SWIFTGAN_NETNS_PREFIX:-sg}${host##*.} ;;
    *) ns=${host%%.*} ;;
esac
if ! ip netns list | grep -q "^$ns\b"; then
    echo "netns-agent.sh: no host '$host' (no network namespace $ns)" >&2
    exit 255
fi
exec ip netns exec "$ns" unshare --uts sh -c 'hostname "$0"; exec sh -c "$*"' "$ns" "$@"
