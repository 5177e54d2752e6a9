#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Installs the Debian 12 packages that build and test lbxdp. Idempotent and
# quiet: when everything is installed it does nothing (no apt-get update).
set -euo pipefail

PKGS=(
	# build
	clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool libmnl-dev
	libjson-c-dev make gcc pkg-config libsystemd-dev
	# the daemon's SSL_GET and digests; tests/checks' TLS server
	libssl-dev openssl
	# unit tests, make check
	libcmocka-dev clang-format shellcheck cppcheck
	# make fuzz: libFuzzer and its sanitizers
	libclang-rt-14-dev
	# e2e labs: ip, ethtool, sysctl, ping, HTTP servers and clients;
	# nginx: the TLS server of the daemon's SSL_GET test; keepalived:
	# the VRRP peer (run only in the tests' namespaces)
	iproute2 ethtool procps iputils-ping curl python3 nginx keepalived
	# e2e: a sync link that drops datagrams (nft, in the lab's namespaces)
	nftables
	# e2e: kill a command at its Nth syscall or delay its writes (strace);
	# git builds the previous release from its commit (test_upgrade_abi)
	strace git
	# e2e: the SMTP sink of the mail alerts' test (/usr/bin/python3's)
	python3-aiosmtpd
	# make deb: debhelper's dh (pulls dpkg-dev), lintian to check it
	debhelper lintian
	# the daemon's stats page and /metrics (libmicrohttpd, TLS via GnuTLS)
	libmicrohttpd-dev libgnutls28-dev
	# e2e: promtool checks /metrics; the stats page in a headless browser
	prometheus chromium chromium-driver python3-selenium
)

die() {
	echo "deps: $*" >&2
	exit 1
}

# apt_try WHAT ARGS...: apt-get ARGS, tried three times (a mirror's hiccup
# should not fail a CI run); its output only if the last try fails.
apt_try() {
	local what=$1 tries
	shift
	for tries in 1 2 3; do
		if apt-get "$@" >"$log" 2>&1; then
			return 0
		fi
		[ "$tries" = 3 ] || sleep 10
	done
	cat "$log" >&2
	die "apt-get $what 3 times"
}

missing=()
for p in "${PKGS[@]}"; do
	if [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" != "ii " ]; then
		missing+=("$p")
	fi
done
if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; run as root to install them"
command -v apt-get >/dev/null || die "no apt-get: install by hand: ${missing[*]}"

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/lbxdp-deps.XXXXXX)
trap 'rm -f "$log"' EXIT
apt_try "update failed" update -qq

# Fail with the names apt does not know, rather than apt's first complaint.
unknown=()
for p in "${missing[@]}"; do
	cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ { print $2 }')
	if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
		unknown+=("$p")
	fi
done
[ "${#unknown[@]}" -eq 0 ] || die "no installation candidate for: ${unknown[*]}"

apt_try "install failed" install -y -qq --no-install-recommends "${missing[@]}"
for p in "${missing[@]}"; do
	[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" = "ii " ] ||
		die "$p still not installed"
done
echo "deps: done"
