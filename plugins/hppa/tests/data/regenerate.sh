#!/bin/sh
# Rebuild qemu72.json from Debian's QEMU 7.2 (qemu-system-hppa) with tools/qemu_oracle.py.
# 3145720K, 3G and 3145736K are the 8 KiB steps around the 3 GiB limit.
set -eu
data=$(cd "$(dirname "$0")" && pwd)
oracle="$data/../../../../tools/qemu_oracle.py"
sizes="none 0 1M 2M 4M 8M 16M 32M 64M 100M 128M 256M 512M 768M 1G 1536M 2G 3G 3584M 4G 8G
       3145720K 3145736K 3073M"
cd "$(mktemp -d)"
python3 "$oracle" --binary qemu-system-hppa --machine hppa \
    $(printf -- '--size %s ' $sizes) --out "$data/qemu72.json"
