#!/bin/sh
# Rebuild qemu72.json from Debian's QEMU 7.2 (qemu-system-hppa) with tools/qemu_oracle.py.
# 3145720K, 3G and 3145736K are the 8 KiB steps around the 3 GiB limit.
set -eu
data=$(cd "$(dirname "$0")" && pwd)
python3 "$data/../../../../tools/qemu_oracle.py" --binary qemu-system-hppa --machine hppa \
    --common-sizes --edges 3G --size 3073M --out "$data/qemu72.json"
