"""Build a machine with the library, use its RAM, and release it.

Runs with the core alone (the built-in ``none`` machine)::

    uv run python examples/embed_basic.py
"""

from __future__ import annotations

from machinectl import Machine, MachineError


def main() -> int:
    # QEMU's options as a list: the same pipeline, checks and messages as `machinectl run`.
    with Machine.from_argv(["-M", "none", "-m", "64M"]) as machine:
        ram = machine.ram
        if ram is None:  # `none` without -m, or a board that maps no RAM
            return 1
        print(f"{machine.board.name}: main RAM '{ram.id}', {ram.size} bytes")

        # One writable view over all of main RAM: slicing it reads and writes guest memory.
        view = ram.view
        view[0:4] = b"\x7fELF"
        print("first bytes:", bytes(view[0:4]))
        view.release()

        # Where the guest sees RAM, and the host address behind each range.
        for r in machine.ram_ranges():
            print(f"guest {r.guest_address:#x} size {r.size:#x} -> host {r.host_address:#x}")

    # The same with keyword arguments. allocate=False checks everything, allocates nothing.
    dry = Machine.create("none", "1G", allocate=False)
    print("dry run: allocated =", dry.allocated, "size =", dry.query()["machine"]["ram-size"])
    dry.close()

    # Every refusal is a MachineError whose text is the message to show.
    try:
        Machine.from_argv(["-M", "none", "-m", "64M", "-mem-path", "/nonexistent/dir/ram"])
    except MachineError as exc:
        print("refused:", exc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
