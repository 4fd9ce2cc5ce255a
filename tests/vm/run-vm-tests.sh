#!/bin/sh
# run-vm-tests.sh - tries docs/capture-systemd.md in a Debian 12 VM (suite 'vm').
#
# What the development machine may lack (systemd as PID 1, cgroup v2 with the memory
# controller, a Docker engine) a VM has: this script debootstraps Debian 12 with its kernel,
# systemd, docker.io and heapwalk's run-time libraries, boots it under qemu (KVM when it
# works, else TCG) with 2 vCPUs and 2 GiB, and lets vm-checks.sh run at boot: the systemd
# unit of the page as written, a real cgroup v2 OOM kill under `heapwalk run`, the page's
# Dockerfile under `docker run --memory`, each with two services: the oomer sample (a heap
# of []byte) and tests/vm/ptrhog (a heap of pointers, which heapwalk copies to capture it).
# The VM prints PASS/FAIL lines on its serial console and powers off; this script fails
# unless every expected check passed.
#
#   run-vm-tests.sh --heapwalk build/src/heapwalk --samples build/samples/go \
#                   --source . --workdir build/tests/vm --go /usr/local/go/bin/go
#   (or: meson test -C build --suite vm)
#
# Needs root (debootstrap, an ext4 image of a root-owned tree), qemu-system-x86_64,
# debootstrap, mkfs.ext4 with -d, and the Debian mirror apt uses (HEAPWALK_VM_MIRROR
# overrides it); run as root it installs the tools it lacks. The first run downloads about
# 400 MB and builds the trees under WORKDIR/cache (kept: later runs make the disk image and
# boot); the VM needs the mirror too, for the Dockerfile's apt-get (user-mode networking).
# Under TCG a run takes about 15 minutes. Adaptations of the page, made here and printed:
# /usr/bin/myapp is the sample, MemoryMax=2G becomes 256M (the VM has 2 GiB), and the
# Dockerfile's FROM is a `docker import` of a debootstrap tarball (no registry needed).
set -eu

die() { echo "FAIL: $*"; exit 1; }
usage() { die "usage: $0 --heapwalk EXE --samples DIR --source DIR --workdir DIR --go GO"; }

heapwalk= samples= source= workdir= go=
while [ $# -gt 0 ]; do
	case $1 in
	--heapwalk) heapwalk=$2 ;;
	--samples) samples=$2 ;;
	--source) source=$2 ;;
	--workdir) workdir=$2 ;;
	--go) go=$2 ;;
	*) usage ;;
	esac
	[ $# -ge 2 ] || usage
	shift 2
done
[ -n "$heapwalk" ] && [ -n "$samples" ] && [ -n "$source" ] && [ -n "$workdir" ] && [ -n "$go" ] || usage
[ -x "$heapwalk" ] || die "no heapwalk at $heapwalk"
[ -x "$samples/oomer" ] || die "no oomer sample in $samples (samples/go needs go >= 1.22 at configure time)"
page=$source/docs/capture-systemd.md
[ -f "$page" ] || die "no $page"
here=$(cd "$(dirname "$0")" && pwd)

# ---- tools ------------------------------------------------------------------------------------

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, and an ext4 image of a root-owned tree)"
tools_ok() {
	for t in qemu-system-x86_64 debootstrap mkfs.ext4 dpkg ldd timeout; do
		command -v $t > /dev/null || return 1
	done
	mkfs.ext4 2>&1 | grep -q -- '-d ' || return 1
}
if ! tools_ok; then
	echo "installing qemu-system-x86 debootstrap e2fsprogs"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		qemu-system-x86 debootstrap e2fsprogs || true
fi
tools_ok || die "missing tools: qemu-system-x86_64, debootstrap, mkfs.ext4 (with -d), dpkg, ldd, timeout"

mirror=${HEAPWALK_VM_MIRROR:-$(grep -h -o -E 'https?://[^ ]+/debian/?( |$)' \
	/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
	2>/dev/null | head -n 1 | tr -d ' ')}
mirror=${mirror:-http://deb.debian.org/debian}

# ---- the cached images ------------------------------------------------------------------------

# heapwalk's run-time libraries, as the packages that hold them on this (Debian 12) host.
libpkgs=
for l in $(ldd "$heapwalk" | awk '/=> \// {print $3}'); do
	pkg=$(dpkg -S "$l" 2>/dev/null || dpkg -S "$(readlink -f "$l")" 2>/dev/null) \
		|| die "no Debian package holds $l, which heapwalk needs"
	libpkgs="$libpkgs,${pkg%%:*}"
done
libpkgs=$(echo "${libpkgs#,}" | tr ',' '\n' | sort -u | tr '\n' ',')
vmpkgs="linux-image-amd64,systemd-sysv,udev,kmod,procps,iproute2,docker.io,apparmor,${libpkgs%,}"
cache=$workdir/cache
mkdir -p "$cache"
key="bookworm $mirror $vmpkgs"

if [ "$(cat "$cache/rootfs.key" 2>/dev/null)" != "$key" ]; then
	echo "debootstrap bookworm from $mirror: $vmpkgs"
	rm -rf "$cache/rootfs" "$cache/rootfs.key"
	debootstrap --variant=minbase --include="$vmpkgs" bookworm "$cache/rootfs" "$mirror" \
		> "$cache/debootstrap.log" 2>&1 || { tail -n 20 "$cache/debootstrap.log"; die "debootstrap failed"; }
	echo "$key" > "$cache/rootfs.key"
fi
# The VM's configuration, rewritten every run (cheap, and the image follows this script).
r=$cache/rootfs
echo hwvm > "$r/etc/hostname"
printf '/dev/vda / ext4 rw 0 1\n/dev/vdb /opt/hwvm ext4 ro 0 2\n' > "$r/etc/fstab"
mkdir -p "$r/opt/hwvm" "$r/etc/systemd/system/multi-user.target.wants"
printf '[Match]\nName=eth0\n[Network]\nDHCP=yes\n' > "$r/etc/systemd/network/eth0.network"
ln -sf /lib/systemd/system/systemd-networkd.service "$r/etc/systemd/system/multi-user.target.wants/"
rm -f "$r/etc/resolv.conf"
echo 'nameserver 10.0.2.3' > "$r/etc/resolv.conf"                  # qemu's user-mode DNS
# dockerd is started by the checks, after the systemd ones, not at boot.
rm -f "$r/etc/systemd/system/multi-user.target.wants/docker.service" \
	"$r/etc/systemd/system/sockets.target.wants/docker.socket"
ln -sf /dev/null "$r/etc/systemd/system/serial-getty@ttyS0.service"
# The checks run once the system is up, with the console to themselves; they power off.
cat > "$r/etc/systemd/system/hwvm-checks.service" <<EOF
[Unit]
Description=heapwalk VM checks (tests/vm)
After=multi-user.target network-online.target
Wants=network-online.target
[Service]
Type=oneshot
ExecStart=/bin/sh /opt/hwvm/vm-checks.sh
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
EOF
ln -sf /etc/systemd/system/hwvm-checks.service "$r/etc/systemd/system/multi-user.target.wants/"
if [ ! -f "$cache/base.tar" ]; then
	# The image Dockerfile's FROM names: a plain debootstrap, as debian:bookworm-slim is.
	echo "debootstrap the container base image"
	rm -rf "$cache/base"
	debootstrap --variant=minbase bookworm "$cache/base" "$mirror" > "$cache/base.log" 2>&1 \
		|| { tail -n 20 "$cache/base.log"; die "debootstrap of the base image failed"; }
	rm -rf "$cache/base/var/cache/apt/archives/"*.deb
	tar -C "$cache/base" -cf "$cache/base.tar.new" . && mv "$cache/base.tar.new" "$cache/base.tar"
	rm -rf "$cache/base"
fi
echo "making the root disk image"
rm -f "$cache/root.img"
mkfs.ext4 -q -F -L hwvm-root -d "$cache/rootfs" "$cache/root.img" 6G
kernel=$(ls "$cache"/rootfs/boot/vmlinuz-* | sort -V | tail -n 1)
initrd=$(ls "$cache"/rootfs/boot/initrd.img-* | sort -V | tail -n 1)
[ -f "$kernel" ] && [ -f "$initrd" ] || die "no kernel/initrd in $cache/rootfs/boot"

# ---- the payload: this build's heapwalk and the page's unit and Dockerfile -------------------

run=$workdir/run
rm -rf "$run"
mkdir -p "$run/payload"
pl=$run/payload
cp "$heapwalk" "$pl/heapwalk"
cp "$samples/oomer" "$pl/oomer"
(cd "$here/ptrhog" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS= "$go" build -o "$pl/ptrhog" main.go) \
	|| die "cannot build tests/vm/ptrhog with $go"
cp "$here/vm-checks.sh" "$pl/vm-checks.sh"
ln "$cache/base.tar" "$pl/base.tar" 2>/dev/null || cp "$cache/base.tar" "$pl/base.tar"
# The page's first ```ini block is the unit; its first ```dockerfile block the Dockerfile.
block() { awk -v lang="$1" '$0 == "```" lang {on = 1; next} on && /^```/ {exit} on {print}' "$page"; }
block ini | sed 's/^MemoryMax=.*/MemoryMax=256M/' > "$pl/myapp.service"
block dockerfile | sed 's/^FROM .*/FROM hw-bookworm-base/' > "$pl/Dockerfile"
grep -q '^ExecStart=' "$pl/myapp.service" || die "no systemd unit (an \`\`\`ini block) in $page"
grep -q '^ENTRYPOINT' "$pl/Dockerfile" || die "no Dockerfile (a \`\`\`dockerfile block) in $page"
echo "the unit, from $page (MemoryMax adapted):"
sed 's/^/  /' "$pl/myapp.service"
echo "the Dockerfile (FROM adapted):"
sed 's/^/  /' "$pl/Dockerfile"
mkfs.ext4 -q -F -L hwvm-payload -d "$pl" "$run/payload.img" \
	$(( ($(du -sm "$pl" | cut -f1) + 64) ))M

# ---- boot -------------------------------------------------------------------------------------

# The root disk is used with snapshot=on: each run starts from the same image.
# KVM when it works, else software emulation (minutes slower). Nested KVM can accept a VM
# and then never get the kernel going (seen: silent after "Probing EDD"), so the probe boots
# this kernel without a root disk: it must print its banner before it panics.
accel="-accel tcg -cpu max"
if [ -w /dev/kvm ]; then
	for cpu in host host,-arch-capabilities; do
		timeout 30 qemu-system-x86_64 -accel kvm -cpu $cpu -m 256 -display none -monitor none \
			-no-reboot -kernel "$kernel" -append "console=ttyS0 panic=-1" \
			-serial file:"$run/kvm-probe.log" > /dev/null 2>&1 < /dev/null || true
		if grep -q 'Linux version' "$run/kvm-probe.log" 2>/dev/null; then
			accel="-accel kvm -cpu $cpu"
			break
		fi
	done
fi
echo "booting the VM ($accel; console in $run/console.log)"
start=$(date +%s)
set +e
TMPDIR=$run timeout 1800 qemu-system-x86_64 $accel -smp 2 -m 2048 \
	-display none -monitor none -no-reboot \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 root=/dev/vda rw net.ifnames=0 panic=-1 loglevel=4" \
	-drive file="$cache/root.img",format=raw,if=virtio,snapshot=on \
	-drive file="$run/payload.img",format=raw,if=virtio,readonly=on \
	-nic user,model=virtio-net-pci \
	-chardev stdio,id=con,signal=off,logfile="$run/console.log" -serial chardev:con \
	< /dev/null
qst=$?
set -e
echo "qemu exited with $qst after $(( $(date +%s) - start )) s"

tr -d '\r' < "$run/console.log" | grep '^HWVM: ' > "$run/results" || true
echo "=== results"
cat "$run/results"
grep -q '^HWVM: DONE' "$run/results" || die "the checks did not finish (see $run/console.log)"
! grep -q '^HWVM: FAIL' "$run/results" || die "some checks failed"
# Every check vm-checks.sh makes, for each of the two samples where both run.
for c in heapwalk-runs systemd-restart-on-failure container-build \
	systemd-oom-kill systemd-exit-status-137 systemd-snapshot systemd-leaks-names-main.hoard \
	systemd-captured-before-kill \
	systemd-ptrhog-oom-kill systemd-ptrhog-exit-status-137 systemd-ptrhog-snapshot \
	systemd-ptrhog-leaks-names-main.hoard systemd-ptrhog-captured-before-kill \
	manual-cgroup-oom-kill manual-snapshot manual-leaks-names-main.hoard \
	manual-captured-before-kill \
	manual-ptrhog-cgroup-oom-kill manual-ptrhog-snapshot manual-ptrhog-leaks-names-main.hoard \
	manual-ptrhog-captured-before-kill \
	container-oom-kill container-snapshot container-leaks-names-main.hoard \
	container-captured-before-kill \
	container-ptrhog-oom-kill container-ptrhog-snapshot container-ptrhog-leaks-names-main.hoard \
	container-ptrhog-captured-before-kill; do
	grep -q "^HWVM: PASS $c\( \|$\)" "$run/results" || die "check $c did not pass"
done
echo ok
