#!/usr/bin/env bash
# local-cluster.sh -- a real, single-node Slurm cluster on localhost for testing
# the Snakemake Slurm profile in workflow/profiles/slurm/.
#
# Usage:  local-cluster.sh up | down | status
#
#   up      install Debian's Slurm (slurmctld, slurmd, slurm-client, slurmdbd),
#           munge and MariaDB if missing, write a minimal configuration, start
#           the daemons directly (no systemd needed), register cluster, account
#           and user in the accounting database, and wait until `sinfo` shows
#           the node idle and `sacct` answers.  Idempotent.
#   down    stop every daemon that `up` started (by pidfile).  Idempotent.
#   status  print the state of the daemons/cluster; exit 0 only if usable.
#
# Exit codes: 0 ok, 1 error, 77 Slurm cannot be installed on this machine
# (no apt-get, not Debian-like, package install failed) -- tests skip on 77.
#
# Must run as root; re-executes itself with `sudo -n` if it is not.
# Every daemon listens on loopback only (CommunicationParameters=NoInAddrAny
# with the node/controller addresses set to 127.0.0.1, MariaDB with
# --skip-networking, munge on a unix socket).
#
# Environment (all optional):
#   LOCAL_SLURM_CLUSTER   cluster name                 (default: scorematch)
#   LOCAL_SLURM_PARTITION partition name               (default: debug)
#   LOCAL_SLURM_ACCOUNT   account created for users    (default: scorematch)
#   LOCAL_SLURM_USERS     extra users to register      (default: $SUDO_USER)
#   LOCAL_SLURM_TIMEOUT   seconds to wait for daemons  (default: 120)
#
# Files: /etc/slurm/{slurm,slurmdbd}.conf (only written if absent or written by
# this script before), logs in /var/log/slurm/, pidfiles in /run/slurm/,
# bookkeeping in /run/local-slurm/.

set -euo pipefail

PROG=$(basename "$0")
CLUSTER=${LOCAL_SLURM_CLUSTER:-scorematch}
PARTITION=${LOCAL_SLURM_PARTITION:-debug}
ACCOUNT=${LOCAL_SLURM_ACCOUNT:-scorematch}
TIMEOUT=${LOCAL_SLURM_TIMEOUT:-120}

CONF_DIR=/etc/slurm
SLURM_CONF_FILE=$CONF_DIR/slurm.conf
DBD_CONF_FILE=$CONF_DIR/slurmdbd.conf
CGROUP_CONF_FILE=$CONF_DIR/cgroup.conf
RUN_DIR=/run/slurm
LOG_DIR=/var/log/slurm
SPOOL_CTLD=/var/lib/slurm/slurmctld
SPOOL_D=/var/lib/slurm/slurmd
STATE_DIR=/run/local-slurm          # which daemons *we* started
MUNGE_PID=/run/munge/munged.pid
MYSQL_RUN=/run/mysqld
MYSQL_PID=$MYSQL_RUN/mysqld.pid
MYSQL_SOCK=$MYSQL_RUN/mysqld.sock
MYSQL_LOG=/var/log/mysql/local-slurm-mariadb.log
MARKER="# Managed by workflow/profiles/slurm/local-cluster.sh -- regenerated on 'up'"
PACKAGES=(slurmctld slurmd slurm-client munge slurmdbd mariadb-server)

export SLURM_CONF=$SLURM_CONF_FILE

log()  { printf '[%s] %s\n' "$PROG" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "$PROG" "$*" >&2; exit 1; }
skip() { printf '[%s] CANNOT INSTALL SLURM: %s\n' "$PROG" "$*" >&2; exit 77; }

show_log_tail() {  # file
    if [[ -r $1 ]]; then
        printf '[%s] ---- last lines of %s ----\n' "$PROG" "$1" >&2
        tail -n 25 "$1" >&2 || true
        printf '[%s] ----\n' "$PROG" >&2
    fi
}

# ------------------------------------------------------------------ privileges
ensure_root() {
    if [[ $EUID -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            exec sudo -n --preserve-env=LOCAL_SLURM_CLUSTER,LOCAL_SLURM_PARTITION,LOCAL_SLURM_ACCOUNT,LOCAL_SLURM_USERS,LOCAL_SLURM_TIMEOUT \
                SUDO_USER="${USER:-$(id -un)}" "$0" "$@"
        fi
        die "must run as root (or as a user with passwordless sudo)"
    fi
}

# ------------------------------------------------------------------ helpers
pid_alive() {  # pidfile -> 0 if the process in it runs
    local pf=$1 pid
    [[ -s $pf ]] || return 1
    pid=$(tr -dc '0-9' <"$pf")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

wait_for() {  # seconds description command...
    local secs=$1 what=$2; shift 2
    local end=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= end)); then
            log "timed out after ${secs}s waiting for: $what"
            return 1
        fi
        sleep 0.5
    done
}

mark_ours()   { mkdir -p "$STATE_DIR"; echo "$2" >"$STATE_DIR/$1.pidfile"; : >"$STATE_DIR/$1.started"; }
is_ours()     { [[ -f $STATE_DIR/$1.pidfile ]]; }

stop_by_pidfile() {  # name pidfile
    local name=$1 pf=$2 pid i
    if pid_alive "$pf"; then
        pid=$(tr -dc '0-9' <"$pf")
        log "stopping $name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 60; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "$name did not stop after 30s, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
        fi
    fi
    rm -f "$STATE_DIR/$name.pidfile"
}

# ------------------------------------------------------------------ install
have_binaries() {
    local b
    for b in slurmctld slurmd slurmdbd sbatch sacct sacctmgr munged mariadbd; do
        command -v "$b" >/dev/null 2>&1 || [[ -x /usr/sbin/$b ]] || return 1
    done
}

install_packages() {
    export PATH=$PATH:/usr/sbin:/sbin
    if have_binaries; then
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 || skip "apt-get not found (need a Debian/Ubuntu machine with packages ${PACKAGES[*]})"
    log "installing ${PACKAGES[*]} with apt-get (this takes ~15-60s)"
    # Keep the package maintainer scripts from starting the services with
    # their stock configuration (we start the daemons ourselves).
    local made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    local rc=0 aptlog
    aptlog=$(mktemp)
    {
        apt-get update -q &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
    } >"$aptlog" 2>&1 || rc=$?
    ((made_policy)) && rm -f /usr/sbin/policy-rc.d
    if ((rc != 0)); then
        tail -n 30 "$aptlog" >&2
        rm -f "$aptlog"
        skip "apt-get install ${PACKAGES[*]} failed (exit $rc)"
    fi
    rm -f "$aptlog"
    have_binaries || skip "packages installed but Slurm/munge/MariaDB binaries still missing"
}

# ------------------------------------------------------------------ config
owned_or_absent() {  # file -> 0 if we may (re)write it
    [[ ! -e $1 ]] || head -n 1 "$1" | grep -qF "$MARKER"
}

install_if_changed() {  # tmpfile dest owner mode -> 0 if changed
    local tmp=$1 dest=$2 owner=$3 mode=$4
    if [[ -e $dest ]] && cmp -s "$tmp" "$dest"; then
        rm -f "$tmp"
        chown "$owner" "$dest"; chmod "$mode" "$dest"
        return 1
    fi
    install -o "${owner%%:*}" -g "${owner##*:}" -m "$mode" "$tmp" "$dest"
    rm -f "$tmp"
    return 0
}

db_password() {
    if [[ -r $DBD_CONF_FILE ]] && grep -q '^StoragePass=' "$DBD_CONF_FILE"; then
        sed -n 's/^StoragePass=//p' "$DBD_CONF_FILE" | head -n 1
    else
        head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'
    fi
}

CONFIG_CHANGED=0
write_configs() {
    local f
    for f in "$SLURM_CONF_FILE" "$DBD_CONF_FILE" "$CGROUP_CONF_FILE"; do
        owned_or_absent "$f" ||
            die "$f exists and was not written by this script; refusing to overwrite a real Slurm configuration (move it away to use the local test cluster)"
    done

    local host node_line tmp
    host=$(hostname -s)
    # The hardware line as slurmd itself detects it, e.g.
    # "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105"
    node_line=$(slurmd -C 2>/dev/null | head -n 1) || true
    [[ $node_line == NodeName=* ]] || die "'slurmd -C' did not report the node hardware (got: '$node_line')"
    node_line=$(sed -E "s/^NodeName=[^ ]+//" <<<"$node_line")

    install -d -o slurm -g slurm -m 755 "$RUN_DIR" "$LOG_DIR" "$SPOOL_CTLD" "$SPOOL_D"

    tmp=$(mktemp)
    cat >"$tmp" <<EOF
$MARKER
# Minimal single-node Slurm for local testing (no cgroups, no systemd).
ClusterName=$CLUSTER
SlurmctldHost=$host(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
CryptoType=crypto/munge
# bind to the address the hostname resolves to, never INADDR_ANY
# (NoInAddrAny: slurmd/clients, NoCtldInAddrAny: slurmctld)
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$SPOOL_CTLD
SlurmdSpoolDir=$SPOOL_D
SlurmctldPidFile=$RUN_DIR/slurmctld.pid
SlurmdPidFile=$RUN_DIR/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
Waittime=0
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host$node_line State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    install_if_changed "$tmp" "$SLURM_CONF_FILE" root:root 644 && CONFIG_CHANGED=1

    tmp=$(mktemp)
    cat >"$tmp" <<EOF
$MARKER
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
CommunicationParameters=NoInAddrAny
SlurmUser=slurm
DebugLevel=info
LogFile=$LOG_DIR/slurmdbd.log
PidFile=$RUN_DIR/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
    install_if_changed "$tmp" "$DBD_CONF_FILE" slurm:slurm 600 && CONFIG_CHANGED=1

    # Not used by the plugins configured above, but keeps slurmd from looking
    # for cgroup mounts it may not have inside a container/sandbox.
    tmp=$(mktemp)
    cat >"$tmp" <<EOF
$MARKER
CgroupPlugin=autodetect
IgnoreSystemd=yes
EOF
    install_if_changed "$tmp" "$CGROUP_CONF_FILE" root:root 644 && CONFIG_CHANGED=1
    return 0
}

# ------------------------------------------------------------------ daemons
munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
    if munge_ok; then log "munge already running"; return 0; fi
    install -d -o munge -g munge -m 755 /run/munge
    install -d -o munge -g munge -m 700 /var/log/munge /var/lib/munge
    if [[ ! -s /etc/munge/munge.key ]]; then
        log "creating /etc/munge/munge.key"
        install -d -o munge -g munge -m 700 /etc/munge
        if command -v mungekey >/dev/null 2>&1; then
            mungekey --create --keyfile=/etc/munge/munge.key
        else
            dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
        fi
        chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
    fi
    log "starting munged"
    runuser -u munge -- /usr/sbin/munged --pid-file="$MUNGE_PID" ||
        { show_log_tail /var/log/munge/munged.log; die "munged failed to start"; }
    mark_ours munged "$MUNGE_PID"
    wait_for 20 "munge to answer" munge_ok ||
        { show_log_tail /var/log/munge/munged.log; die "munge does not answer (munge -n | unmunge)"; }
}

mysql_ok() { mariadb-admin --socket="$MYSQL_SOCK" ping >/dev/null 2>&1; }

start_mariadb() {
    if mysql_ok; then
        log "MariaDB already running"
    else
        install -d -o mysql -g mysql -m 755 "$MYSQL_RUN"
        install -d -o mysql -g adm -m 2750 /var/log/mysql
        if [[ ! -d /var/lib/mysql/mysql ]]; then
            log "initialising MariaDB data directory"
            mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null ||
                die "mariadb-install-db failed"
        fi
        log "starting MariaDB (unix socket only, --skip-networking)"
        setsid /usr/sbin/mariadbd --user=mysql --skip-networking \
            --pid-file="$MYSQL_PID" --socket="$MYSQL_SOCK" \
            --innodb-lock-wait-timeout=900 \
            </dev/null >>"$MYSQL_LOG" 2>&1 &
        mark_ours mariadbd "$MYSQL_PID"
        wait_for "$TIMEOUT" "MariaDB to answer" mysql_ok ||
            { show_log_tail "$MYSQL_LOG"; die "MariaDB did not start"; }
    fi
    log "creating database user slurm@localhost"
    mariadb --socket="$MYSQL_SOCK" -u root <<EOF || die "could not create the MariaDB user/grant for slurmdbd (is root allowed via unix_socket?)"
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
ALTER USER 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
FLUSH PRIVILEGES;
EOF
}

slurmdbd_ok() { sacctmgr -n -P list cluster format=cluster >/dev/null 2>&1; }

start_slurm_daemon() {  # name pidfile logfile
    local name=$1 pf=$2 lf=$3
    if pid_alive "$pf"; then
        log "$name already running"
        return 0
    fi
    log "starting $name"
    "/usr/sbin/$name" || { show_log_tail "$lf"; die "$name failed to start"; }
    mark_ours "$name" "$pf"
    wait_for 20 "$name pidfile" pid_alive "$pf" ||
        { show_log_tail "$lf"; die "$name exited right after starting"; }
}

register_accounting() {
    if ! sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER"; then
        log "registering cluster $CLUSTER"
        sacctmgr -i add cluster "$CLUSTER" >/dev/null || die "sacctmgr add cluster $CLUSTER failed"
    fi
    if ! sacctmgr -n -P list account format=account | grep -qx "$ACCOUNT"; then
        log "adding account $ACCOUNT"
        sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" \
            Description="local test account" Organization=local >/dev/null ||
            die "sacctmgr add account $ACCOUNT failed"
    fi
    local users=(root ${LOCAL_SLURM_USERS:-} ${SUDO_USER:-}) u
    for u in "${users[@]}"; do
        id "$u" >/dev/null 2>&1 || continue
        if ! sacctmgr -n -P list assoc user="$u" account="$ACCOUNT" cluster="$CLUSTER" format=user | grep -qx "$u"; then
            log "adding user $u to account $ACCOUNT"
            sacctmgr -i add user "$u" Account="$ACCOUNT" Cluster="$CLUSTER" DefaultAccount="$ACCOUNT" >/dev/null ||
                die "sacctmgr add user $u failed"
        fi
    done
}

node_idle() {
    local st
    st=$(sinfo -h -N -p "$PARTITION" -o '%T' 2>/dev/null | head -n 1)
    [[ $st == idle || $st == mixed || $st == allocated ]]
}

sacct_ok() { sacct -n -X --starttime now-1hour >/dev/null 2>&1; }

cmd_up() {
    local t0=$SECONDS
    install_packages
    DB_PASS=$(db_password)
    write_configs
    if ((CONFIG_CHANGED)); then
        local n
        for n in slurmd slurmctld slurmdbd; do
            if pid_alive "$RUN_DIR/$n.pid"; then
                log "configuration changed: restarting $n"
                stop_by_pidfile "$n" "$RUN_DIR/$n.pid"
            fi
        done
    fi
    start_munge
    start_mariadb
    start_slurm_daemon slurmdbd "$RUN_DIR/slurmdbd.pid" "$LOG_DIR/slurmdbd.log"
    wait_for "$TIMEOUT" "slurmdbd to answer sacctmgr" slurmdbd_ok ||
        { show_log_tail "$LOG_DIR/slurmdbd.log"; die "slurmdbd does not answer"; }
    register_accounting
    local fresh_controller=1
    pid_alive "$RUN_DIR/slurmctld.pid" && fresh_controller=0
    start_slurm_daemon slurmctld "$RUN_DIR/slurmctld.pid" "$LOG_DIR/slurmctld.log"
    wait_for "$TIMEOUT" "slurmctld to answer" scontrol ping ||
        { show_log_tail "$LOG_DIR/slurmctld.log"; die "slurmctld does not answer 'scontrol ping'"; }
    if ((fresh_controller)); then
        # A controller started just now restores the jobs of its previous life from
        # StateSaveLocation; after an unclean stop (machine reset) they hold the node
        # "allocated" with no process behind them. Nobody can have submitted since.
        local stale
        stale=$(squeue -h -o %i | tr '\n' ' ')
        if [[ -n ${stale// /} ]]; then
            log "cancelling jobs left from an earlier unclean stop: $stale"
            scancel $stale || true
        fi
    fi
    start_slurm_daemon slurmd "$RUN_DIR/slurmd.pid" "$LOG_DIR/slurmd.log"
    if ! wait_for "$TIMEOUT" "node to become idle in sinfo" node_idle; then
        sinfo -N -l >&2 || true
        scontrol show node >&2 || true
        show_log_tail "$LOG_DIR/slurmd.log"
        show_log_tail "$LOG_DIR/slurmctld.log"
        die "node did not become idle"
    fi
    # a node left DOWN/DRAIN by an earlier unclean stop is resumed above by
    # ReturnToService=2; sacct must answer through slurmdbd
    wait_for "$TIMEOUT" "sacct to answer" sacct_ok ||
        { show_log_tail "$LOG_DIR/slurmdbd.log"; die "sacct does not answer"; }
    log "cluster '$CLUSTER' is up in $((SECONDS - t0))s: partition '$PARTITION', account '$ACCOUNT'"
    sinfo >&2
}

cmd_down() {
    local n pf
    # reverse start order; only daemons started by 'up'
    for n in slurmd slurmctld slurmdbd mariadbd munged; do
        if is_ours "$n"; then
            pf=$(cat "$STATE_DIR/$n.pidfile")
            stop_by_pidfile "$n" "$pf"
        fi
    done
    # Fallback: a daemon of ours whose pidfile went missing/stale (e.g. killed
    # mid-start) is found by its exact process name.  Only names 'up' started
    # (per $STATE_DIR) plus slurmstepd, which only our slurmd spawns.
    local i names=(slurmstepd)
    for n in slurmd slurmctld slurmdbd mariadbd munged; do
        [[ -f $STATE_DIR/$n.started ]] && names+=("$n")
    done
    for ((i = 0; i < 20; i++)); do
        pgrep -x "$(IFS='|'; echo "${names[*]}")" >/dev/null 2>&1 || break
        ((i == 10)) && { log "fallback: pkill -x ${names[*]}"; for n in "${names[@]}"; do pkill -TERM -x "$n" 2>/dev/null || true; done; }
        sleep 0.5
    done
    for n in "${names[@]}"; do
        if pgrep -x "$n" >/dev/null 2>&1; then
            log "fallback: pkill -KILL -x $n"; pkill -KILL -x "$n" 2>/dev/null || true
        fi
    done
    rm -f "$STATE_DIR"/*.started
    log "down"
}

cmd_status() {
    local rc=0 n pf
    for n in munged:$MUNGE_PID mariadbd:$MYSQL_PID slurmdbd:$RUN_DIR/slurmdbd.pid \
             slurmctld:$RUN_DIR/slurmctld.pid slurmd:$RUN_DIR/slurmd.pid; do
        pf=${n#*:}; n=${n%%:*}
        if pid_alive "$pf"; then
            printf '%-10s running (pid %s)%s\n' "$n" "$(tr -dc 0-9 <"$pf")" "$(is_ours "$n" && echo ', started by local-cluster.sh')"
        else
            printf '%-10s not running\n' "$n"; rc=1
        fi
    done
    if ((rc == 0)) && node_idle && sacct_ok; then
        sinfo
        echo "cluster usable"
    else
        echo "cluster NOT usable"
        rc=1
    fi
    return $rc
}

case "${1:-}" in
    up)     ensure_root "$@"; cmd_up ;;
    down)   ensure_root "$@"; cmd_down ;;
    status) ensure_root "$@"; cmd_status ;;
    *) echo "usage: $PROG up|down|status" >&2; exit 2 ;;
esac
