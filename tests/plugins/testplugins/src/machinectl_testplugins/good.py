"""A well-behaved board plugin: two boards, a fixed-size rule and a NUMA-capable type."""

from machinectl import BoardFacts, BoardSpec, BoardTable, FixedSize, MiB

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
            ),
            default_ram_size=128 * MiB,
            default_ram_id="testnuma.ram",
        ),
    ]
)
