#!/bin/sh
# Rebuild qemu72-*.json from Debian's QEMU 7.2 (qemu-system-sparc, -sparc64) with
# tools/qemu_oracle.py. Firmware files are empty 4 KiB files in the -L folder (leon3's
# u-boot.bin, niagara's nvram1, 1up-md.bin, 1up-hv.bin, reset.bin, q.bin, openboot.bin).
# Edges: 1048568K/1G/1048584K around leon3's 1 GiB, 262136K/256M/262152K around the
# 256 MiB sun4m models. The 60 GiB sun4m models are probed at their edge with a
# reserve=off backend of the same size (one run per size), as -m alone cannot map 60 GiB here.
# The sun4m models without ECC fill absent RAM with an I/O region, "empty-slot": its
# flat-view lines are recorded with the RAM lines (--keep-region, on every board).
set -eu
data=$(cd "$(dirname "$0")" && pwd)
oracle="$data/../../../../tools/qemu_oracle.py"
small="SS-5 Voyager LX SS-4 SPARCClassic SPARCbook"
ecc="SS-10 SS-600MP SS-20"
python3 "$oracle" --binary qemu-system-sparc --zero-file u-boot.bin --extra "-L ." \
    --keep-region empty-slot \
    --machine leon3_generic --common-sizes --edges 1G --size 1025M \
    --out "$data/qemu72-leon3.json"
python3 "$oracle" --binary qemu-system-sparc $(printf -- '--machine %s ' $small $ecc) \
    --keep-region empty-slot --common-sizes --edges 256M --size 257M \
    --out "$data/qemu72-sun4m.json"
for size in 62914552K 60G 62914568K; do
    python3 "$oracle" --binary qemu-system-sparc $(printf -- '--machine %s ' $ecc) \
        --extra "-object memory-backend-ram,id=big,size=$size,reserve=off -M memory-backend=big" \
        --keep-region empty-slot --size "$size" --out "$data/qemu72-sun4m-$size.json"
done
python3 "$oracle" --binary qemu-system-sparc64 --extra "-L ." --keep-region empty-slot \
    $(printf -- '--zero-file %s ' nvram1 1up-md.bin 1up-hv.bin reset.bin q.bin openboot.bin) \
    --machine niagara --common-sizes --out "$data/qemu72-niagara.json"
