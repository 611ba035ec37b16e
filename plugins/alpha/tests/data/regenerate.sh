#!/bin/sh
# Rebuild qemu72.json from Debian's QEMU 7.2 (qemu-system-alpha) with tools/qemu_oracle.py.
set -eu
data=$(cd "$(dirname "$0")" && pwd)
oracle="$data/../../../../tools/qemu_oracle.py"
sizes="none 0 1M 2M 4M 8M 16M 32M 64M 100M 128M 256M 512M 768M 1G 1536M 2G 3G 3584M 4G 8G"
cd "$(mktemp -d)"
python3 "$oracle" --binary qemu-system-alpha --machine clipper \
    $(printf -- '--size %s ' $sizes) --out "$data/qemu72.json"
