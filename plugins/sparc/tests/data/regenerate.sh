#!/bin/sh
# Rebuild qemu72-*.json from Debian's QEMU 7.2 (qemu-system-sparc, -sparc64) with
# tools/qemu_oracle.py. Firmware files are empty 4 KiB files in the -L folder (leon3's
# u-boot.bin, niagara's nvram1, 1up-md.bin, 1up-hv.bin, reset.bin, q.bin, openboot.bin).
# Edges: 1048568K/1G/1048584K around leon3's 1 GiB, 262136K/256M/262152K around the
# 256 MiB sun4m models. The 60 GiB sun4m models are probed at their edge with a
# reserve=off backend of the same size (one run per size), as -m alone cannot map 60 GiB here.
set -eu
data=$(cd "$(dirname "$0")" && pwd)
oracle="$data/../../../../tools/qemu_oracle.py"
sizes="none 0 1M 2M 4M 8M 16M 32M 64M 100M 128M 256M 512M 768M 1G 1536M 2G 3G 3584M 4G 8G"
small="SS-5 Voyager LX SS-4 SPARCClassic SPARCbook"
ecc="SS-10 SS-600MP SS-20"
cd "$(mktemp -d)"
head -c 4096 /dev/zero >dummy.bin
for f in u-boot.bin nvram1 1up-md.bin 1up-hv.bin reset.bin q.bin openboot.bin; do
    cp dummy.bin "$f"
done
python3 "$oracle" --binary qemu-system-sparc --extra "-L ." --machine leon3_generic \
    $(printf -- '--size %s ' $sizes 1048568K 1048584K 1025M) --out "$data/qemu72-leon3.json"
python3 "$oracle" --binary qemu-system-sparc $(printf -- '--machine %s ' $small $ecc) \
    $(printf -- '--size %s ' $sizes 262136K 262152K 257M) --out "$data/qemu72-sun4m.json"
for size in 62914552K 60G 62914568K; do
    python3 "$oracle" --binary qemu-system-sparc $(printf -- '--machine %s ' $ecc) \
        --extra "-object memory-backend-ram,id=big,size=$size,reserve=off -M memory-backend=big" \
        --size "$size" --out "$data/qemu72-sun4m-$size.json"
done
python3 "$oracle" --binary qemu-system-sparc64 --extra "-L ." --machine niagara \
    $(printf -- '--size %s ' $sizes) --out "$data/qemu72-niagara.json"
python3 "$data/empty_slot.py"
