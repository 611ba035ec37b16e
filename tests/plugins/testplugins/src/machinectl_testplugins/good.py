"""A well-behaved board plugin: two boards, a fixed-size rule and NUMA-capable types."""

from machinectl import BoardFacts, BoardSpec, BoardTable, CpuSlots, FixedSize, MiB

#: The CPU slots of QEMU's pc machine types, which the testnuma boards stand in for.
PC_CPU_SLOTS = CpuSlots(("socket-id", "die-id", "core-id", "thread-id"), die_id_with_dies_only=True)

plugin = BoardTable(
    [
        BoardFacts(
            spec=BoardSpec(name="testboard", description="test board", family="test"),
            default_ram_size=64 * MiB,
            default_ram_id="test.ram",
            ram_base=0x1000_0000,
            rules=[FixedSize("Invalid RAM size, should be {value_str}", size=64 * MiB)],
        ),
        BoardFacts(
            spec=BoardSpec(
                name="testnuma-1.0",
                alias="testnuma",
                description="NUMA test board",
                family="test",
                numa=True,
                numa_mem_supported=True,
                smp_prefers_sockets=True,
                max_cpus=255,
                smp_dies_supported=True,
                cpu_slots=PC_CPU_SLOTS,
            ),
            default_ram_size=128 * MiB,
            default_ram_id="testnuma.ram",
        ),
    ]
)

#: More NUMA-capable types. No entry point names this table (the ``machinectl.tests`` group
#: stays two boards); a test registers it with ``create_registry(plugins=...)``.
numa_variants = BoardTable(
    [
        BoardFacts(
            spec=BoardSpec(
                name="testnuma-2.0",
                description="NUMA test board, a type without legacy -numa node,mem=",
                family="test",
                numa=True,
                numa_mem_supported=False,
                max_cpus=255,
                smp_dies_supported=True,
                cpu_slots=PC_CPU_SLOTS,
            ),
            default_ram_size=128 * MiB,
            default_ram_id="testnuma.ram",
            ram_base=0x4000_0000,
        ),
        BoardFacts(
            spec=BoardSpec(
                name="testnuma-noram",
                description="NUMA test board without a default RAM id",
                family="test",
                numa=True,
                numa_mem_supported=True,
                smp_prefers_sockets=True,
            ),
            default_ram_size=128 * MiB,
            default_ram_id=None,
        ),
    ]
)
