"""A plugin that declares a board name another plugin already has."""

from machinectl import BoardFacts, BoardSpec, BoardTable, MiB

plugin = BoardTable(
    [
        BoardFacts(
            spec=BoardSpec(name="clashfree", family="test"),
            default_ram_size=32 * MiB,
            default_ram_id="ram",
        ),
        BoardFacts(
            spec=BoardSpec(name="testboard", family="test"),
            default_ram_size=32 * MiB,
            default_ram_id="ram",
        ),
    ]
)
