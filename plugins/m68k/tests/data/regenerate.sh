#!/bin/sh
# Rebuild qemu72-*.json from Debian's QEMU 7.2 (qemu-system-m68k) with tools/qemu_oracle.py.
# The ColdFire boards and next-cube start with an empty 4 KiB kernel; q800 refuses that kernel
# and needs a MacROM.bin instead (an empty 4 KiB file in the -L folder).
# 1048568K, 1G and 1048584K are the 8 KiB steps around q800's 1 GiB limit.
set -eu
data=$(cd "$(dirname "$0")" && pwd)
oracle="$data/../../../../tools/qemu_oracle.py"
python3 "$oracle" --binary qemu-system-m68k --zero-file dummy.bin --extra "-kernel dummy.bin" \
    --machine an5206 --machine mcf5208evb --machine next-cube \
    --common-sizes --out "$data/qemu72-kernel.json"
python3 "$oracle" --binary qemu-system-m68k --zero-file MacROM.bin --extra "-L ." --machine q800 \
    --common-sizes --edges 1G --size 1025M --out "$data/qemu72-q800.json"
