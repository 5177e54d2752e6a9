#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# make bench: lbxdp against the MAC-swap baseline; prints the table and
# writes BENCHMARKS.md. Needs root. Everything happens in the benchmark's
# own network and mount namespaces, which die with it.
set -eu
cd "$(dirname "$0")/../.."
OUTPUT=${OUTPUT:-.output}

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (network namespaces, XDP, bpffs)" >&2
	exit 1
fi
bin=$OUTPUT/tests/bench
if [ ! -x "$bin" ]; then
	echo "bench: $bin is missing: run 'make bench'" >&2
	exit 1
fi
commit=$(git describe --always --dirty 2>/dev/null || echo unknown)
exec "$bin" -o BENCHMARKS.md -c "$commit" "$@"
