#!/bin/sh
# Rebuild qemu72-*.json from Debian's QEMU 7.2 (qemu-system-m68k) with tools/qemu_oracle.py.
# The ColdFire boards and next-cube start with an empty 4 KiB kernel; q800 refuses that kernel
# and needs a MacROM.bin instead (an empty 4 KiB file in the -L folder).
# 1048568K, 1G and 1048584K are the 8 KiB steps around q800's 1 GiB limit.
set -eu
data=$(cd "$(dirname "$0")" && pwd)
oracle="$data/../../../../tools/qemu_oracle.py"
sizes="none 0 1M 2M 4M 8M 16M 32M 64M 100M 128M 256M 512M 768M 1G 1536M 2G 3G 3584M 4G 8G"
cd "$(mktemp -d)"
head -c 4096 /dev/zero >dummy.bin
cp dummy.bin MacROM.bin
python3 "$oracle" --binary qemu-system-m68k --extra "-kernel dummy.bin" \
    --machine an5206 --machine mcf5208evb --machine next-cube \
    $(printf -- '--size %s ' $sizes) --out "$data/qemu72-kernel.json"
python3 "$oracle" --binary qemu-system-m68k --extra "-L ." --machine q800 \
    $(printf -- '--size %s ' $sizes 1048568K 1048584K 1025M) --out "$data/qemu72-q800.json"
