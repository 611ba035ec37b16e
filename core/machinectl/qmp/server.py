"""QMP over sockets and stdio: QEMU 7.2's protocol around :mod:`~machinectl.qmp.commands`.

:class:`QmpServer` serves one machine to any number of clients on any number of listeners
(Unix sockets, TCP, stdio). Each client is one coroutine: the greeting first, capability
negotiation, then one reply per request, in order, with the request's ``id`` echoed as it
was sent. Commands run one at a time, in a worker thread, so that a long allocation never
stops the other clients' sessions from being read and answered in the meantime.

A program serves a machine this way::

    async with QmpServer(machine) as server:
        await server.listen(bind_monitor(MonitorOption("unix", "/run/m.sock")))
        await server.finished.wait()      # until a client's ``quit``

The command line does the same (``machinectl run -qmp unix:PATH,server=on,wait=off``).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import os
import signal
import socket
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import MachineError
from ..options import MonitorOption
from . import qjson
from .commands import QEMU_VERSION, QmpError, execute, package_version

if TYPE_CHECKING:
    from ..machine import Machine

#: Bytes read from a client at a time.
CHUNK = 1 << 16


# -- sockets -------------------------------------------------------------------------------------


@attrs.define(eq=False)
class Listener:
    """A bound, listening socket of a monitor (or stdio, with no socket)."""

    option: MonitorOption
    sock: socket.socket | None = None
    #: The Unix socket file this listener created (removed again when it closes).
    path: str | None = None
    _inode: tuple[int, int] | None = None

    @property
    def address(self) -> str:
        """Where clients connect: ``unix:PATH``, ``tcp:HOST:PORT`` or ``stdio``."""
        if self.option.transport == "unix":
            return f"unix:{self.option.address}"
        if self.sock is not None:
            host, port = self.sock.getsockname()[:2]
            return f"tcp:{host}:{port}"
        return "stdio"

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.path is not None:
            with contextlib.suppress(OSError):
                info = os.lstat(self.path)
                if (info.st_dev, info.st_ino) == self._inode:
                    os.unlink(self.path)
            self.path = None


def bind_monitor(option: MonitorOption, warn: Any = None) -> Listener:
    """Create and bind the listening socket of a monitor (nothing for stdio).

    A Unix socket is created with mode 0600 and replaces only a stale socket (one no
    process listens on): any other file at the path is refused. A TCP address that is not a
    loopback address is warned about through ``warn``.
    """
    try:
        if option.transport == "unix":
            return _bind_unix(option)
        if option.transport == "tcp":
            return _bind_tcp(option, warn)
    except OSError as exc:
        where = option.address if option.transport == "unix" else option.location
        raise MachineError(
            f"Failed to bind socket to {where}: {os.strerror(exc.errno or 0)}"
            if exc.errno
            else f"Failed to bind socket to {where}: {exc}"
        ).at(option.location) from None
    return Listener(option)


def _bind_unix(option: MonitorOption) -> Listener:
    path = option.address
    if len(os.fsencode(path)) >= 108:
        raise MachineError(f"UNIX socket path '{path}' is too long").at(option.location)
    _clear_stale(path, option)
    directory = os.path.dirname(os.path.abspath(path))
    # Bound under a private name, given mode 0600, then renamed into place: the socket is
    # never reachable with a wider mode, and nothing but a stale socket is ever replaced.
    scratch = tempfile.mkdtemp(prefix=".qmp-", dir=directory)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        private = os.path.join(scratch, "s")
        if len(os.fsencode(private)) >= 108:
            raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG))
        sock.bind(private)
        os.chmod(private, 0o600)
        sock.listen(64)
        _clear_stale(path, option)
        os.rename(private, path)
        info = os.lstat(path)
    except BaseException:
        sock.close()
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(scratch, "s"))
        raise
    finally:
        with contextlib.suppress(OSError):
            os.rmdir(scratch)
    sock.setblocking(False)
    return Listener(option, sock, path, (info.st_dev, info.st_ino))


def _clear_stale(path: str, option: MonitorOption) -> None:
    """Remove a socket nobody listens on at ``path``; refuse any other file."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise MachineError(
            f"Failed to bind socket to {path}: not replacing a file that is not a socket"
        ).at(option.location)
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except ConnectionRefusedError:
        os.unlink(path)  # stale: its process is gone
        return
    except OSError:
        pass
    finally:
        probe.close()
    raise MachineError(f"Failed to bind socket to {path}: another process listens on it").at(
        option.location
    )


def _bind_tcp(option: MonitorOption, warn: Any) -> Listener:
    host = option.address
    try:
        infos = socket.getaddrinfo(
            host or None, option.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise MachineError(
            f"address resolution failed for {host}:{option.port}: {exc.strerror}"
        ).at(option.location) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(64)
    except OSError as exc:
        sock.close()
        raise MachineError(f"Failed to bind socket: {os.strerror(exc.errno or 0)}").at(
            option.location
        ) from None
    except BaseException:
        sock.close()
        raise
    sock.setblocking(False)
    if not ipaddress.ip_address(address[0]).is_loopback and warn is not None:
        bound = sock.getsockname()
        warn(
            f"QMP listens on {bound[0]}:{bound[1]}, reachable from other hosts: whoever "
            "connects controls the machine"
        )
    return Listener(option, sock)


# -- the server ----------------------------------------------------------------------------------


def greeting() -> dict[str, Any]:
    version = {"qemu": dict(QEMU_VERSION), "package": package_version()}
    return {"QMP": {"version": version, "capabilities": ["oob"]}}


def event(name: str, data: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    seconds = int(now)
    stamp = {"seconds": seconds, "microseconds": int((now - seconds) * 1_000_000)}
    return {"timestamp": stamp, "event": name, "data": data}


@attrs.define(eq=False)
class Session:
    """One client: its stream, and whether it has negotiated capabilities."""

    writer: asyncio.StreamWriter | None
    negotiated: bool = False
    oob: bool = False
    #: This client's ``quit`` ends serving once its reply is out.
    quitting: bool = False

    def send(self, message: dict[str, Any]) -> None:
        data = (qjson.dumps(message) + "\r\n").encode()
        if self.writer is None:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        elif not self.writer.is_closing():
            self.writer.write(data)


class QmpServer:
    """Serves a machine's QMP commands to every client of every listener it is given.

    ``finished`` (an :class:`asyncio.Event`) is set when serving ends, at a client's
    ``quit`` or by :meth:`shutdown`; ``reason`` then holds the ``SHUTDOWN`` reason.
    Leaving ``async with`` (or :meth:`close`) stops listening, ends every session and
    releases every socket.
    """

    def __init__(self, machine: Machine):
        self.machine = machine
        self.sessions: set[Session] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.servers: list[asyncio.Server] = []
        self.listeners: list[Listener] = []
        #: Set when serving ends (``quit`` or :meth:`shutdown`); :attr:`reason` says why.
        self.finished = asyncio.Event()
        self.reason: str | None = None
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> QmpServer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def listen(self, listener: Listener) -> None:
        """Serve clients of ``listener`` (the server owns it from now on)."""
        self.listeners.append(listener)
        if listener.sock is None:
            self._spawn(self._serve_stdio())
            return
        if listener.option.transport == "unix":
            server = await asyncio.start_unix_server(self._client, sock=listener.sock, limit=CHUNK)
        else:
            server = await asyncio.start_server(self._client, sock=listener.sock, limit=CHUNK)
        self.servers.append(server)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        session = Session(writer)
        try:
            await self._converse(session, reader)
        except (ConnectionError, OSError):
            pass  # the client went away
        finally:
            self.sessions.discard(session)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _serve_stdio(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=CHUNK)
        transport: asyncio.BaseTransport | None = None
        try:
            protocol = asyncio.StreamReaderProtocol(reader)
            transport, _ = await loop.connect_read_pipe(lambda: protocol, sys.stdin.buffer)
        except ValueError:
            # A regular file (``< commands.json``): read by a thread of its own.
            threading.Thread(target=_feed, args=(loop, reader), daemon=True).start()
        try:
            await self._converse(Session(None), reader)
        finally:
            if transport is not None:
                transport.close()

    async def _converse(self, session: Session, reader: asyncio.StreamReader) -> None:
        if self.finished.is_set():
            return
        self.sessions.add(session)
        session.send(greeting())
        await self._drain(session)
        stream = qjson.MessageParser()
        while not self.finished.is_set():
            data = await reader.read(CHUNK)
            if not data:
                return
            for parsed in stream.feed(data):
                if self.finished.is_set():
                    return
                reply = await self._request(session, parsed)
                try:
                    if reply is not None:
                        session.send(reply)
                        await self._drain(session)
                finally:
                    # Serving ends at quit even when the client is gone before its reply.
                    if session.quitting:
                        self.finished.set()
                if session.quitting:
                    return

    async def _drain(self, session: Session) -> None:
        if session.writer is not None:
            await session.writer.drain()

    async def _request(self, session: Session, parsed: qjson.Parsed) -> dict[str, Any] | None:
        request, parse_error = parsed
        try:
            if parse_error is not None:
                raise QmpError(str(parse_error))
            name, arguments, oob = _check_request(request, session.oob)
            result = await self._dispatch(session, name, arguments, oob)
            reply: dict[str, Any] = {"return": result}
            if isinstance(request, dict) and "id" in request:
                reply["id"] = request["id"]
            return reply
        except QmpError as exc:
            return _error_reply(request, exc)
        except Exception as exc:  # a fault of this server: the client still gets its reply
            return _error_reply(request, QmpError(f"internal error: {exc!r}"))

    async def _dispatch(
        self, session: Session, name: str, arguments: dict[str, Any], oob: bool
    ) -> Any:
        if not session.negotiated:
            if name != "qmp_capabilities":
                raise QmpError(
                    "Expecting capabilities negotiation with 'qmp_capabilities'",
                    "CommandNotFound",
                )
            from .commands import COMMANDS

            checked = COMMANDS[name].check(arguments)
            session.oob = "oob" in checked.get("enable", [])
            session.negotiated = True
            return {}
        if oob:
            raise QmpError(f"The command {name} does not support OOB")
        if name == "quit":
            execute(self.machine, name, arguments)
            session.quitting = self.reason is None
            await self.shutdown("host-qmp-quit")
            return {}
        async with self._lock:
            if self.finished.is_set():
                raise QmpError("the machine is shutting down")
            try:
                return await asyncio.to_thread(execute, self.machine, name, arguments)
            finally:
                # Events the command raised (DEVICE_DELETED ...) go out before its reply.
                for raised in self.machine.take_events():
                    self.broadcast(event(raised["event"], raised["data"]))

    def broadcast(self, message: dict[str, Any]) -> None:
        """Send an event to every client that negotiated capabilities."""
        for session in list(self.sessions):
            if session.negotiated:
                with contextlib.suppress(ConnectionError, OSError):
                    session.send(message)

    async def shutdown(self, reason: str) -> None:
        """End serving: the ``SHUTDOWN`` event with QEMU's ``reason``, then no more requests.

        ``host-qmp-quit`` ends once the quitting client has its reply; any other reason
        (``host-signal``) ends at once.
        """
        if self.reason is not None:
            if reason != "host-qmp-quit":
                self.finished.set()  # a signal ends serving even while a quit is under way
            return
        self.reason = reason
        self.broadcast(event("SHUTDOWN", {"guest": False, "reason": reason}))
        for server in self.servers:
            server.close()
        if reason != "host-qmp-quit":
            self.finished.set()

    async def close(self) -> None:
        """Stop listening, end every session and release every socket."""
        for server in self.servers:
            server.close()
        current = asyncio.current_task()
        pending = [task for task in self.tasks if task is not current]
        # Closing a client's transport ends its coroutine (its read sees the end): cancelling
        # the task instead would leave asyncio's stream callback a cancelled task to report.
        for session in list(self.sessions):
            if session.writer is None:
                continue
            with contextlib.suppress(OSError, RuntimeError, ConnectionError):
                await asyncio.wait_for(session.writer.drain(), 5)
            session.writer.close()
        for task in pending:
            if task.get_coro().__qualname__ == "QmpServer._serve_stdio":  # type: ignore[union-attr]
                task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for server in self.servers:
            await server.wait_closed()
        self.servers.clear()
        for listener in self.listeners:
            listener.close()
        self.listeners.clear()


def _feed(loop: asyncio.AbstractEventLoop, reader: asyncio.StreamReader) -> None:
    """Standard input that is a file, fed to ``reader`` until its end."""
    try:
        while data := os.read(sys.stdin.fileno(), CHUNK):
            loop.call_soon_threadsafe(reader.feed_data, data)
    except (OSError, RuntimeError):
        pass
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(reader.feed_eof)


def _error_reply(request: Any, exc: QmpError) -> dict[str, Any]:
    error: dict[str, Any] = {}
    if isinstance(request, dict) and "id" in request:
        error["id"] = request["id"]
    error["error"] = exc.response()
    return error


def _check_request(request: Any, oob_enabled: bool) -> tuple[str, dict[str, Any], bool]:
    """QEMU's checks of a request's members: (command, arguments, out-of-band)."""
    if not isinstance(request, dict):
        raise QmpError("QMP input must be a JSON object")
    name: str | None = None
    oob = False
    for key, value in request.items():
        if key == "execute" or (key == "exec-oob" and oob_enabled):
            if not isinstance(value, str):
                raise QmpError(f"QMP input member '{key}' must be a string")
            if name is not None:
                raise QmpError(f"QMP input member '{key}' clashes with 'execute'")
            name, oob = value, key == "exec-oob"
        elif key == "arguments":
            if not isinstance(value, dict):
                raise QmpError("QMP input member 'arguments' must be an object")
        elif key != "id":
            raise QmpError(f"QMP input member '{key}' is unexpected")
    if name is None:
        raise QmpError("QMP input lacks member 'execute'")
    return name, request.get("arguments", {}), oob


# -- the command line's loop -----------------------------------------------------------------


@contextlib.contextmanager
def bound(options: Sequence[MonitorOption], warn: Any = None) -> Iterator[list[Listener]]:
    """Bind every monitor's socket; all are released on the way out."""
    listeners: list[Listener] = []
    try:
        for option in options:
            listeners.append(bind_monitor(option, warn))
        yield listeners
    finally:
        for listener in listeners:
            listener.close()


def serve(machine: Machine, listeners: Sequence[Listener]) -> str:
    """Serve until a client's ``quit`` or SIGINT, SIGTERM, SIGHUP; the reason it ended.

    The process's own handlers of those signals are put back afterwards.
    """
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {signum: signal.getsignal(signum) for signum in signals}
    caught: list[int] = []

    async def main() -> str:
        loop = asyncio.get_running_loop()
        async with QmpServer(machine) as server:

            def on_signal(signum: int) -> None:
                caught.append(signum)
                server._spawn(server.shutdown("host-signal"))

            for signum in signals:
                loop.add_signal_handler(signum, on_signal, signum)
            try:
                for listener in listeners:
                    await server.listen(listener)
                await server.finished.wait()
            finally:
                for signum in signals:
                    loop.remove_signal_handler(signum)
            return server.reason or "host-qmp-quit"

    try:
        reason = asyncio.run(main())
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if caught:
        reason = f"signal {caught[0]}"
    return reason
