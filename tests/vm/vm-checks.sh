#!/bin/sh
# vm-checks.sh - runs inside the test VM at boot (tests/vm, suite 'vm') and powers it off.
#
# run-vm-tests.sh boots a Debian 12 VM (systemd as PID 1, cgroup v2 unified) with this script
# and its payload on a second disk mounted at /opt/hwvm: heapwalk, two services (the oomer
# sample, a heap of []byte; ptrhog, a heap of pointers), the systemd unit and the Dockerfile
# taken from docs/capture-systemd.md (adapted as the host script says), a debootstrap tarball
# to `docker import`. Every check prints one `HWVM: PASS name` or `HWVM: FAIL name: why` line
# on the serial console, which the host script reads; other `HWVM:` lines are the record
# (environment, statuses, measurements), not checks; `HWVM: DONE` says the script got to the end.
#
# The oracle is the services' own design and the kernel: every chunk they allocate stays
# reachable from the global main.hoard, so the finding must name main.hoard; the kernel's
# OOM kill shows as SIGKILL (status 137), the cgroup's memory.events oom_kill counter,
# systemd's Result=oom-kill, Docker's State.OOMKilled.
set -u
P=/opt/hwvm
LIMIT=256M

say() { echo "HWVM: $*"; }
pass() { say "PASS $1"; }
fail() { say "FAIL $1: $2"; }

# The snapshot checks shared by every case: $1 case, $2 directory, $3 file of heapwalk's
# stderr (journal, docker logs). A threshold snapshot exists, heapwalk leaks names
# main.hoard, and heapwalk reported the capture before the death.
check_capture() {
	snap=$(ls "$2"/*-limit.hwd 2>/dev/null | head -n 1)
	if [ -z "$snap" ]; then
		fail "$1-snapshot" "no *-limit.hwd in $2: $(ls -l "$2" 2>&1 | tr '\n' ' ')"
		return
	fi
	pass "$1-snapshot ($(basename "$snap"), $(stat -c %s "$snap") bytes)"
	heapwalk leaks "$snap" > "/tmp/$1.leaks" 2>&1
	sed 's/^/  leaks: /' "/tmp/$1.leaks" | head -n 12
	if grep -q 'main\.hoard' "/tmp/$1.leaks"; then
		pass "$1-leaks-names-main.hoard"
	else
		fail "$1-leaks-names-main.hoard" "heapwalk leaks $snap does not name main.hoard"
	fi
	cap=$(grep -n 'captured' "$3" | head -n 1 | cut -d: -f1)
	died=$(grep -n 'was killed by' "$3" | head -n 1 | cut -d: -f1)
	if [ -n "$cap" ] && [ -n "$died" ] && [ "$cap" -lt "$died" ]; then
		pass "$1-captured-before-kill"
	else
		fail "$1-captured-before-kill" "heapwalk's messages do not show a capture before the death"
	fi
}

wait_inactive() {
	i=0
	while [ $i -lt 600 ]; do
		case $(systemctl is-active "$1") in
		active|activating|deactivating) sleep 1; i=$((i + 1)) ;;
		*) return 0 ;;
		esac
	done
	return 1
}

# ---- the VM -----------------------------------------------------------------------------------

say "kernel $(uname -r)"
say "$(systemctl --version | head -n 1)"
say "cgroup fs $(stat -fc %T /sys/fs/cgroup), controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
say "memory $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo), $(nproc) CPUs"
install -m 755 "$P/heapwalk" /usr/bin/heapwalk
if heapwalk --version > /tmp/version 2>&1; then
	pass "heapwalk-runs ($(cat /tmp/version))"
else
	fail "heapwalk-runs" "$(heapwalk 2>&1 | head -n 3)"
fi

# ---- 1. the unit of docs/capture-systemd.md ---------------------------------------------------

# $1 case name, $2 the unit file: starts it, waits for its end, checks the OOM kill and the
# capture. The service's binary is whatever /usr/bin/myapp is at the time.
unit_case() {
	say "--- $1: /etc/systemd/system/myapp.service, /usr/bin/myapp = $(cat /usr/bin/myapp.name)"
	rm -rf /var/lib/myapp/heap
	cp "$2" /etc/systemd/system/myapp.service
	sed 's/^/  unit: /' /etc/systemd/system/myapp.service
	systemctl daemon-reload
	systemctl reset-failed myapp.service 2> /dev/null
	start=$(date +%s)
	since=$(date '+%Y-%m-%d %H:%M:%S')
	systemctl start myapp.service
	wait_inactive myapp.service || fail "$1-unit-ends" "myapp.service still active after 600 s"
	say "myapp.service ran $(( $(date +%s) - start )) s: $(systemctl show -p Result -p ExecMainCode -p ExecMainStatus myapp.service | tr '\n' ' ')"
	journalctl -u myapp.service --since "$since" --no-pager -o short-monotonic > "/tmp/$1.journal"
	sed 's/^/  journal: /' "/tmp/$1.journal" | grep -v ': [a-z]*: [0-9]* MiB$' | tail -n 30
	# The kernel's last OOM report: who asked, the tasks of the cgroup (rss in pages), the victim.
	dmesg | awk '/invoked oom-killer/ {b = ""} {b = b $0 "\n"} END {printf "%s", b}' | grep -E 'invoked oom-killer|^\[ *[0-9.]*\] \[ *[0-9]+\]|Killed process' | head -n 12
	if [ "$(systemctl show -p Result --value myapp.service)" = oom-kill ]; then
		pass "$1-oom-kill (Result=oom-kill)"
	else
		fail "$1-oom-kill" "Result=$(systemctl show -p Result --value myapp.service)"
	fi
	if [ "$(systemctl show -p ExecMainStatus --value myapp.service)" = 137 ]; then
		pass "$1-exit-status-137"
	else
		fail "$1-exit-status-137" "heapwalk run exited with $(systemctl show -p ExecMainStatus --value myapp.service)"
	fi
	check_capture "$1" /var/lib/myapp/heap "/tmp/$1.journal"
}

use_sample() {
	install -m 755 "$P/$1" /usr/bin/myapp
	echo "$1" > /usr/bin/myapp.name
}

use_sample oomer
unit_case systemd "$P/myapp.service"

# The page says Restart= keeps working, heapwalk run exiting with the service's status:
# a drop-in adds Restart=on-failure; the service, killed twice, restarts twice, and each of
# its runs is captured.
say "--- systemd: the same unit with a drop-in Restart=on-failure"
rm -rf /var/lib/myapp/heap
mkdir -p /etc/systemd/system/myapp.service.d
printf '[Unit]\nStartLimitIntervalSec=0\n[Service]\nRestart=on-failure\nRestartSec=1\n' \
	> /etc/systemd/system/myapp.service.d/restart.conf
systemctl daemon-reload
systemctl reset-failed myapp.service
systemctl start myapp.service
i=0
while [ $i -lt 300 ] && [ "$(systemctl show -p NRestarts --value myapp.service)" -lt 2 ]; do
	sleep 1
	i=$((i + 1))
done
systemctl stop myapp.service
n=$(ls /var/lib/myapp/heap/myapp-*-limit.hwd | wc -l)
say "NRestarts=$(systemctl show -p NRestarts --value myapp.service), $n snapshots in /var/lib/myapp/heap"
if [ "$(systemctl show -p NRestarts --value myapp.service)" -ge 2 ] && [ "$n" -ge 2 ]; then
	pass "systemd-restart-on-failure (restarted after each OOM kill, each run captured)"
else
	fail "systemd-restart-on-failure" "no restart, or a run without its snapshot"
fi
rm -r /etc/systemd/system/myapp.service.d
systemctl daemon-reload

# A heap of pointers: heapwalk copies those spans during a capture, and under the unit that
# memory counts against the service's limit (the page's "Room for the capture": heapwalk
# captures early enough for the copy to fit).
use_sample ptrhog
unit_case systemd-ptrhog "$P/myapp.service"

# Not a check: the same unit with an explicit --at 80, which before the room rule was too late
# for a heap of pointers (nothing captured). What happens is printed for the page to quote.
say "--- info: the unit with --at 80, /usr/bin/myapp = ptrhog"
rm -rf /var/lib/myapp/heap
sed 's|heapwalk run |heapwalk run --at 80 |' "$P/myapp.service" > /etc/systemd/system/myapp.service
systemctl daemon-reload
systemctl reset-failed myapp.service 2> /dev/null
systemctl start myapp.service
wait_inactive myapp.service
say "info: at 80: $(systemctl show -p Result -p ExecMainCode -p ExecMainStatus myapp.service | tr '\n' ' ')snapshots: $(ls /var/lib/myapp/heap 2> /dev/null | tr '\n' ' ')"
say "info: at 80: $(dmesg | grep 'Memory cgroup out of memory' | tail -n 1)"

# ---- 2. heapwalk run in a cgroup v2 made by hand, heapwalk outside it -------------------------

# $1 case name, then heapwalk run's options: /usr/bin/myapp alone in a cgroup with
# memory.max, heapwalk in a cgroup of its own without a limit, so that its peak memory is
# known (under a unit it shares the service's cgroup, and what it uses counts against the limit).
manual_case() {
	name=$1
	shift
	say "--- $name: cgroup v2 memory.max $LIMIT, only /usr/bin/myapp = $(cat /usr/bin/myapp.name) inside; heapwalk run $*"
	cg=/sys/fs/cgroup/hw-manual
	tool=/sys/fs/cgroup/hw-tool
	mkdir -p $cg $tool
	echo $LIMIT > $cg/memory.max
	say "memory.max $(cat $cg/memory.max)"
	rm -rf /var/tmp/manual
	sh -c "echo \$\$ > $tool/cgroup.procs && exec heapwalk run $* -o /var/tmp/manual -- \
		sh -c 'echo \$\$ > $cg/cgroup.procs && exec /usr/bin/myapp'" > /tmp/manual.out 2> "/tmp/$name.err"
	st=$?
	sed 's/^/  stderr: /' "/tmp/$name.err" | grep -v ': [a-z]*: [0-9]* MiB$' | tail -n 30
	kills=$(awk '$1 == "oom_kill" {print $2}' $cg/memory.events)
	say "heapwalk run exited $st; memory.events: $(tr '\n' ' ' < $cg/memory.events)"
	say "peak memory: the command's cgroup $(( $(cat $cg/memory.peak) >> 20 )) MiB, heapwalk's $(( $(cat $tool/memory.peak) >> 20 )) MiB"
	if [ "$st" = 137 ] && [ "${kills:-0}" -ge 1 ]; then
		pass "$name-cgroup-oom-kill (status 137, oom_kill $kills)"
	else
		fail "$name-cgroup-oom-kill" "status $st, oom_kill ${kills:-none}"
	fi
	check_capture "$name" /var/tmp/manual "/tmp/$name.err"
	rmdir $cg $tool
}

use_sample oomer
manual_case manual
# Outside the limit heapwalk's copy costs the service nothing, but the capture takes time
# (the copy is faulted in first): at 80% ptrhog filled the last 51 MiB (32 MiB/s) before the
# stop under TCG and was being killed when heapwalk came to stop it. 50% leaves it the time.
use_sample ptrhog
manual_case manual-ptrhog --at 50
use_sample oomer

# ---- 3. the container of docs/capture-systemd.md ----------------------------------------------

# $1 case name, then docker run's extra options: runs the image built from the page's
# Dockerfile with --memory and a volume at /snaps, checks the OOM kill and the capture.
container_case() {
	name=$1
	shift
	say "--- $name: docker run --memory $LIMIT $*"
	mkdir -p "/var/tmp/$name"
	docker run --name "$name" --memory $LIMIT -v "/var/tmp/$name:/snaps" "$@" myapp \
		> /tmp/run.out 2> "/tmp/$name.err"
	st=$?
	sed 's/^/  stderr: /' "/tmp/$name.err" | grep -v ': [a-z]*: [0-9]* MiB$' | tail -n 30
	oom=$(docker inspect -f '{{.State.OOMKilled}}' "$name")
	say "docker run exited $st, OOMKilled=$oom"
	if [ "$st" = 137 ] && [ "$oom" = true ]; then
		pass "$name-oom-kill (status 137, OOMKilled=true)"
	else
		fail "$name-oom-kill" "status $st, OOMKilled=$oom"
	fi
	check_capture "$name" "/var/tmp/$name" "/tmp/$name.err"
}

say "--- container: Docker"
if ! systemctl start docker.service; then
	fail container-docker "dockerd does not start: $(journalctl -b -u docker --no-pager -o cat | tail -n 5 | tr '\n' ' ')"
else
	say "$(docker version --format 'docker {{.Server.Version}}, cgroup driver: ' 2>&1)$(docker info --format '{{.CgroupDriver}} cgroup v{{.CgroupVersion}}' 2>&1)"
	ctx=/tmp/ctx
	mkdir -p $ctx
	cp "$P/Dockerfile" $ctx/Dockerfile
	cp "$P/heapwalk" $ctx/heapwalk
	cp "$P/oomer" $ctx/myapp
	sed 's/^/  Dockerfile: /' $ctx/Dockerfile
	if ! docker import "$P/base.tar" hw-bookworm-base > /tmp/import.log 2>&1; then
		fail container-import "$(tail -n 3 /tmp/import.log | tr '\n' ' ')"
	elif ! docker build --network host -t myapp $ctx > /tmp/build.log 2>&1; then
		sed 's/^/  build: /' /tmp/build.log | tail -n 20
		fail container-build "docker build failed"
	else
		pass container-build
		container_case container
		# The heap of pointers: the same image, its /app replaced by ptrhog.
		container_case container-ptrhog -v "$P/ptrhog:/app:ro"
	fi
fi

say DONE
systemctl poweroff
