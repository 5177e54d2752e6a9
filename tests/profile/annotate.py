#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""make profile's report: perf's samples of one CPU (`perf script -F
sym,ip`), put on the source lines and instructions of one BPF program
(tests/profile/jitdump.c's image and line table).

    annotate.py PROG LINES IMAGE SAMPLES [TOP]
"""
import collections
import re
import subprocess
import sys


def main():
    prog, lines_f, image, samples_f = sys.argv[1:5]
    top = int(sys.argv[5]) if len(sys.argv) > 5 else 25

    with open(lines_f) as f:
        base, size = (int(x, 0) for x in f.readline().split())
        lines = []
        for rec in f:
            off, where, src = rec.rstrip('\n').split('\t', 2)
            lines.append((int(off, 0), where, src.strip()))
    lines.sort()

    by_sym = collections.Counter()
    at = collections.Counter()
    total = 0
    with open(samples_f) as f:
        for rec in f:
            parts = rec.split()
            if len(parts) < 2:
                continue
            ip, sym = int(parts[0], 16), parts[1]
            total += 1
            by_sym[sym] += 1
            if sym.endswith('_' + prog) and base <= ip < base + size:
                at[ip - base] += 1
    mine = sum(at.values())
    if not mine:
        sys.exit(f'profile: no samples in {prog} (was it running?)')

    print(f'{total} samples of the CPU; by symbol:')
    for sym, n in by_sym.most_common(8):
        print(f'  {100.0 * n / total:5.1f}%  {sym}')

    # objdump's lines "  off:\tinsn"; each instruction takes the source
    # line of the last line record at or before it.
    dis = subprocess.run(['objdump', '-b', 'binary', '-m', 'i386:x86-64',
                          '-D', '--no-show-raw-insn', image],
                         capture_output=True, text=True, check=True).stdout
    insns = []
    for rec in dis.splitlines():
        m = re.match(r'\s*([0-9a-f]+):\s+(.*)', rec)
        if m:
            insns.append((int(m.group(1), 16), m.group(2).strip()))
    by_line = collections.Counter()
    src_of = {}
    hot = []
    li = -1
    for off, text in insns:
        while li + 1 < len(lines) and lines[li + 1][0] <= off:
            li += 1
        where, src = lines[li][1:] if li >= 0 else ('?', '')
        src_of[where] = src
        n = at.get(off, 0)
        by_line[where] += n
        if n:
            hot.append((n, off, text, where))

    print(f'\n{prog}: {mine} samples, {100.0 * mine / total:.1f}% of the '
          'CPU; by source line (a stalled load\'s wait lands on the '
          'instruction after it):')
    for where, n in by_line.most_common(top):
        if n:
            print(f'  {100.0 * n / mine:5.1f}%  {where:18} '
                  f'{src_of[where][:70]}')
    print('\nits hottest instructions:')
    for n, off, text, where in sorted(hot, reverse=True)[:top]:
        print(f'  {100.0 * n / mine:5.1f}%  +{off:#06x}  {text[:40]:40} '
              f'{where}')


if __name__ == '__main__':
    main()
