#!/bin/sh
# Rebuild qemu72.json from Debian's QEMU 7.2 (qemu-system-cris) with tools/qemu_oracle.py.
# axis-dev88 refuses to start without a kernel: an empty 4 KiB file gets past that.
set -eu
data=$(cd "$(dirname "$0")" && pwd)
python3 "$data/../../../../tools/qemu_oracle.py" --binary qemu-system-cris --machine axis-dev88 \
    --zero-file dummy.bin --extra "-kernel dummy.bin" --common-sizes --out "$data/qemu72.json"
