"""Zero-copy embedding: Unicorn executes guest code directly on the RAM machinectl allocated.

Each RAM range the machine reports is mapped into Unicorn with ``mem_map_ptr`` at its guest
address, pointing at the host memory of the backend. The guest programs are written out as
instruction bytes from the ISA manuals, each with what it does. Every test writes through
``machine.ram.view`` before the guest runs (the guest must load exactly that) and reads the
guest's stores back through the view: the same host pages on both sides, never a copy.

ARM boards: ``virt`` (RAM at 0x40000000) and ``raspi0`` (RAM at 0). While no arm plugin is
installed, the test plugin's ``testboard`` (RAM at 0x10000000) stands in, and the
test id says ``arm-fallback-testboard``.
"""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import pytest
from machinectl import (
    BoardFacts,
    BoardSpec,
    BoardTable,
    Machine,
    MachineError,
    MachineState,
    MemoryRegion,
    MiB,
    Registry,
    create_registry,
)
from unicorn.arm_const import UC_ARM_REG_R1
from unicorn.unicorn_const import (
    UC_ARCH_ARM,
    UC_ARCH_X86,
    UC_ERR_READ_UNMAPPED,
    UC_MODE_32,
    UC_MODE_ARM,
    UC_PROT_ALL,
)
from unicorn.unicorn_py3 import Uc, UcError
from unicorn.x86_const import UC_X86_REG_EAX

ROOT = Path(__file__).resolve().parent.parent


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "embed_unicorn", ROOT / "examples" / "embed_unicorn.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_example()


def u32(value: int) -> bytes:
    return struct.pack("<I", value)


def poke(machine: Machine, guest_address: int, data: bytes) -> None:
    """Write the bytes the guest sees at ``guest_address``, through a view of host memory."""
    with machine.guest_view(guest_address, len(data)) as view:
        view[:] = data


def peek(machine: Machine, guest_address: int, size: int) -> bytes:
    """Read the bytes the guest sees at ``guest_address``, through a view of host memory."""
    with machine.guest_view(guest_address, size) as view:
        return bytes(view)


def check_mapped_as_reported(uc: Uc, machine: Machine) -> None:
    """Unicorn's memory map is exactly the machine's RAM ranges, at their guest addresses."""
    regions = sorted(uc.mem_regions())
    wanted = [
        (r.guest_address, r.guest_address + r.size - 1, UC_PROT_ALL) for r in machine.ram_ranges()
    ]
    assert regions == sorted(wanted)


# -- ARM -----------------------------------------------------------------------------------


class ArmCase(NamedTuple):
    name: str
    group: str  # entry-point group the registry loads
    ram_base: int  # where the board's RAM starts in the guest address space

    @property
    def id(self) -> str:
        return f"arm-{self.name}" if self.group == "machinectl" else f"arm-fallback-{self.name}"


#: The ARM boards to run on, with their RAM base in QEMU.
ARM_BOARDS = (("virt", 0x4000_0000), ("raspi0", 0x0))


def _family_installed(registry: Registry, family: str) -> bool:
    return any(b.spec.family == family for b in registry.boards)


def _arm_cases() -> list[ArmCase]:
    registry = create_registry()
    cases = []
    for name, base in ARM_BOARDS:
        try:
            registry.board(name)
        except MachineError:
            continue
        cases.append(ArmCase(name, "machinectl", base))
    if cases or _family_installed(registry, "arm"):
        # With the arm plugin installed, a missing board is a failure of the test, not a skip.
        return cases or [ArmCase("virt", "machinectl", 0x4000_0000)]
    # No arm plugin installed: the test plugin's board stands in.
    return [ArmCase("testboard", "machinectl.tests", 0x1000_0000)]


ARM_CASES = _arm_cases()


def movw(rd: int, imm16: int) -> int:
    """A32 MOVW Rd, #imm16 (cond=AL): Rd = imm16, upper half cleared."""
    return 0xE300_0000 | (imm16 >> 12) << 16 | rd << 12 | (imm16 & 0xFFF)


def movt(rd: int, imm16: int) -> int:
    """A32 MOVT Rd, #imm16 (cond=AL): upper half of Rd = imm16, lower half kept."""
    return 0xE340_0000 | (imm16 >> 12) << 16 | rd << 12 | (imm16 & 0xFFF)


def arm_program(data: int) -> bytes:
    words = [
        movw(0, data & 0xFFFF),  # movw r0, #lo16(data)     r0 = address of the input word
        movt(0, data >> 16),  # movt r0, #hi16(data)
        0xE590_1000,  # ldr  r1, [r0]        r1 = the word the host wrote through the view
        0xE281_1001,  # add  r1, r1, #1      r1 = r1 + 1
        0xE580_1004,  # str  r1, [r0, #4]    store r1 into the next word
        0xE3A0_20AB,  # mov  r2, #0xab       r2 = 0xab
        0xE5C0_2008,  # strb r2, [r0, #8]    store one byte, 0xab, after that
    ]
    return b"".join(u32(w) for w in words)


@pytest.mark.parametrize("case", ARM_CASES, ids=[c.id for c in ARM_CASES])
def test_arm_guest_runs_in_machine_ram(case: ArmCase) -> None:
    fallback = case.group != "machinectl"
    registry = create_registry(group=case.group, only=["testboards"] if fallback else None)
    with Machine.from_argv(["-M", case.name], registry=registry) as machine:
        assert machine.ram is not None
        ranges = machine.ram_ranges()
        assert ranges[0].guest_address == case.ram_base
        assert ranges[0].host_address == machine.ram.host_address
        code, data = case.ram_base + 0x1000, case.ram_base + 0x2000
        program = arm_program(data)
        poke(machine, code, program)  # the program itself reaches the guest through the view
        poke(machine, data, u32(0x1234_5677))

        uc = Uc(UC_ARCH_ARM, UC_MODE_ARM)
        with example.guest_ram_in(uc, machine):
            check_mapped_as_reported(uc, machine)
            uc.emu_start(code, code + len(program))
            assert uc.reg_read(UC_ARM_REG_R1) == 0x1234_5678
            assert peek(machine, data + 4, 5) == u32(0x1234_5678) + b"\xab"

            # The other way round, with the mapping left as it is: a host write after the
            # guest ran is what the guest loads on its next run.
            poke(machine, data, u32(99))
            assert bytes(uc.mem_read(data, 4)) == u32(99)
            uc.emu_start(code, code + len(program))
            assert peek(machine, data + 4, 4) == u32(100)


def test_the_example_script_runs() -> None:
    assert example.main(["-M", "none", "-m", "64M"]) == 0


# -- x86 -----------------------------------------------------------------------------------

#: QEMU 7.2, ``-M pc -m 128M -nodefaults``, ``info mtree -f``: pc.ram shows at
#: 0000000000000000-00000000000bffff and 0000000000100000-0000000007ffffff (@0x100000); the
#: option ROM and the BIOS hide 0xc0000-0xfffff.
PC_128M_RAM = [(0x0, 0xC0000, 0x0), (0x10_0000, 0x7F0_0000, 0x10_0000)]


def holed_layout(machine: MachineState, facts: BoardFacts) -> None:
    """RAM at 0 with a ROM window over 0xc0000-0xfffff, as on a PC."""
    machine.map_ram(0)
    machine.system_memory.add_subregion(0xC_0000, MemoryRegion.rom("holed.rom", 0x4_0000), 1)


HOLED = BoardFacts(
    spec=BoardSpec(name="holed", description="RAM with a PC-like ROM hole", family="test"),
    default_ram_size=128 * MiB,
    default_ram_id="holed.ram",
    layout=holed_layout,
)


def _registry_for(board: str) -> Registry:
    if board == "holed":
        return create_registry(load_entrypoints=False, plugins=[("holed", BoardTable([HOLED]))])
    registry = create_registry()
    if not _family_installed(registry, "x86"):
        pytest.skip(f"no x86 plugin is installed to provide '{board}'")
    return registry


def x86_program(low: int, high: int) -> bytes:
    """32-bit x86 code; ``low`` is below the hole and ``high`` above it."""
    return b"".join(
        [
            b"\xa1" + u32(low),  # mov eax, [low]       eax = the word the host wrote
            b"\x83\xc0\x01",  # add eax, 1           eax = eax + 1
            b"\xa3" + u32(high),  # mov [high], eax      store it above the hole
            b"\xc7\x05" + u32(low + 4) + u32(0xC0FF_EE00),  # mov dword [low+4], 0xc0ffee00
        ]
    )


@pytest.mark.parametrize("board", ["pc", "holed"])
def test_x86_guest_runs_in_ram_split_around_the_hole(board: str) -> None:
    registry = _registry_for(board)
    with Machine.create(board, "128M", registry=registry) as machine:
        assert machine.ram is not None
        host = machine.ram.host_address
        ranges = machine.ram_ranges()
        # Two pieces of one backend; the host offset of each is its guest address.
        layout = [(r.guest_address, r.size, r.host_address - host) for r in ranges]
        if board == "pc":
            assert layout == PC_128M_RAM
            assert {r.memdev for r in ranges} == {"pc.ram"}
        else:
            assert layout == [(0x0, 0xC0000, 0x0), (0x10_0000, 0x7F0_0000, 0x10_0000)]

        low_range, high_range = ranges
        low = low_range.guest_address + 0x8000
        high = high_range.guest_address + 0x2000
        code = high_range.guest_address + 0x1000
        program = x86_program(low, high)
        poke(machine, code, program)
        poke(machine, low, u32(41))

        uc = Uc(UC_ARCH_X86, UC_MODE_32)
        with example.guest_ram_in(uc, machine):
            check_mapped_as_reported(uc, machine)
            uc.emu_start(code, code + len(program))
            assert uc.reg_read(UC_X86_REG_EAX) == 42
            assert peek(machine, high, 4) == u32(42)
            assert peek(machine, low + 4, 4) == u32(0xC0FF_EE00)

            # The hole is not RAM: a guest load from it faults as unmapped.
            probe = high_range.guest_address + 0x3000
            poke(machine, probe, b"\xa1" + u32(0xC_0000))  # mov eax, [0xc0000]
            with pytest.raises(UcError) as fault:
                uc.emu_start(probe, probe + 5)
            assert fault.value.errno == UC_ERR_READ_UNMAPPED


# -- what Unicorn cannot map ---------------------------------------------------------------


def sliver_layout(machine: MachineState, facts: BoardFacts) -> None:
    """RAM at 0 with a 2-byte device window over it: the RAM around it is not whole pages."""
    machine.map_ram(0)
    machine.system_memory.add_subregion(0x1_0000, MemoryRegion.io("sliver", 2), 1)


def test_ranges_that_are_not_whole_pages_are_refused_before_mapping() -> None:
    facts = BoardFacts(
        spec=BoardSpec(name="sliver"),
        default_ram_size=1 * MiB,
        default_ram_id="sliver.ram",
        layout=sliver_layout,
    )
    registry = create_registry(load_entrypoints=False, plugins=[("sliver", BoardTable([facts]))])
    with Machine.create("sliver", registry=registry) as machine:
        uc = Uc(UC_ARCH_X86, UC_MODE_32)
        refused = pytest.raises(ValueError, match="not made of whole 4096-byte pages")
        with refused, example.guest_ram_in(uc, machine):
            pass  # pragma: no cover
        assert list(uc.mem_regions()) == []


def test_hotplugged_dimm_runs_code() -> None:
    """The example's DIMM: plugged while Unicorn runs, mapped on the change, code run in it."""
    address, eax, stored = example.run_in_hotplugged_dimm()
    assert address == 0x1_0000_0000  # the first byte of pc's device memory (128M RAM)
    assert eax == stored == 42
