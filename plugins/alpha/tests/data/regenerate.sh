#!/bin/sh
# Rebuild qemu72.json from Debian's QEMU 7.2 (qemu-system-alpha) with tools/qemu_oracle.py.
set -eu
data=$(cd "$(dirname "$0")" && pwd)
python3 "$data/../../../../tools/qemu_oracle.py" --binary qemu-system-alpha --machine clipper \
    --common-sizes --out "$data/qemu72.json"
