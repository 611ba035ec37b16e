#!/bin/sh
# Rebuild qemu72.json from Debian's QEMU 7.2 (qemu-system-cris) with tools/qemu_oracle.py.
# axis-dev88 refuses to start without a kernel: an empty 4 KiB file gets past that.
set -eu
data=$(cd "$(dirname "$0")" && pwd)
oracle="$data/../../../../tools/qemu_oracle.py"
sizes="none 0 1M 2M 4M 8M 16M 32M 64M 100M 128M 256M 512M 768M 1G 1536M 2G 3G 3584M 4G 8G"
cd "$(mktemp -d)"
head -c 4096 /dev/zero >dummy.bin
python3 "$oracle" --binary qemu-system-cris --machine axis-dev88 --extra "-kernel dummy.bin" \
    $(printf -- '--size %s ' $sizes) --out "$data/qemu72.json"
