"""A device-side adb stand-in (``adbd``) on loopback, for testing with the real ``adb`` client.

The real host tools (Debian's ``adb`` 29.0.6: client and server) talk to :class:`AdbdStandin`
exactly as to a phone reached over TCP (``adb connect 127.0.0.1:PORT``). What it speaks, from
the adb wire protocol (``system/core/adb/protocol.txt``, ``SERVICES.TXT``, ``SYNC.TXT``):

- 24-byte message headers (command, arg0, arg1, length, checksum, magic); ``CNXN`` answered with
  version ``0x01000001`` and the banner ``device::ro.product.model=...;features=shell_v2,cmd``.
- Streams: ``OPEN``/``OKAY``/``WRTE``/``CLSE``. At most one ``WRTE`` per stream is outstanding
  (the next waits for the host's ``OKAY``); every ``WRTE`` from the host is acknowledged at once by
  the socket reader (which never blocks on a stream), and a host ``CLSE`` is answered with ours.
- ``shell,v2,...:CMD`` (shell protocol v2: stdin/stdout/stderr/close-stdin/exit packets, so the
  exit status reaches ``adb shell``) and plain ``shell:CMD`` (raw bytes, stderr merged, no status).
- ``sync:`` v1: ``STAT``, ``LIST``, ``SEND`` (``DATA``... ``DONE``), ``RECV``, ``QUIT``.
- ``host:`` services are the adb server's business and never reach a device.

The device filesystem is a temporary directory: ``/data/local/tmp/...`` maps to
``ROOT/data/local/tmp/...`` (the only place a shell user may write on a phone; sync refuses other
paths). Shell commands run with the host's ``sh`` in ``ROOT/data/local/tmp`` after every
``/data/local/tmp`` in the command line is rewritten to the mapped path (so output that echoes a
path shows the host path). ``getprop`` is a small script on the shell's ``PATH`` that answers from
:attr:`AdbdStandin.props`.

Misbehaviour, for testing the host side's error handling:

- ``state="unauthorized"``: the real handshake of a phone whose user has not accepted this
  computer's key: ``AUTH TOKEN`` for the host's ``CNXN``, every ``AUTH SIGNATURE`` refused with a
  new token, the ``AUTH RSAPUBLICKEY`` left unanswered (the dialog nobody taps). The real server
  then reports the device as ``unauthorized``.
- ``state="offline"``: the TCP connection is accepted but the ``CNXN`` is never answered (a
  device that hangs during the handshake). The real server reports the device as ``offline``.
- ``fail_push="message"``: every ``SEND`` is answered with sync ``FAIL`` and that message (after
  its data is read to ``DONE``, as adbd does), like a full or read-only disk.
- ``shell_env``: extra environment for shell commands (how a test tells a stand-in tool to fail).

:class:`HostAdb` runs the real adb server on a private port with a temporary ``HOME`` (adb writes
``~/.android/adbkey``) and ``TMPDIR`` (its log), connects stand-ins and kills the server at the end.
"""

from __future__ import annotations

import os
import posixpath
import queue
import re
import secrets
import signal
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

A_SYNC = 0x434E5953
A_CNXN = 0x4E584E43
A_OPEN = 0x4E45504F
A_OKAY = 0x59414B4F
A_CLSE = 0x45534C43
A_WRTE = 0x45545257
A_AUTH = 0x48545541
A_VERSION = 0x01000001  # skips checksums
MAX_PAYLOAD = 256 * 1024
AUTH_TOKEN, AUTH_SIGNATURE, AUTH_RSAPUBLICKEY = 1, 2, 3
SHELL_STDIN, SHELL_STDOUT, SHELL_STDERR, SHELL_EXIT, SHELL_CLOSE_STDIN, SHELL_WINDOW = 0, 1, 2, 3, 4, 5
SYNC_DATA_MAX = 64 * 1024
DEVICE_TMP = "/data/local/tmp"
EMULATOR_PORTS = range(5555, 5586)  # the adb server probes these on loopback for emulators

# The phone of the paper's Figure 5: Samsung Galaxy S21 with a Snapdragon 888 (SM8350).
GALAXY_S21 = {
    "ro.product.model": "SM-G991B",
    "ro.product.name": "o1sxxx",
    "ro.product.device": "o1s",
    "ro.soc.model": "SM8350",
    "ro.board.platform": "lahaina",
    "ro.hardware": "qcom",
    "ro.build.version.sdk": "33",
}

_HEADER = struct.Struct("<6I")
_SAFE_ROOT = re.compile(r"^[A-Za-z0-9_./-]+$")

GETPROP = """#!/bin/sh
# Stand-in for Android's getprop: answers from the properties file of the adbd stand-in.
if [ $# -eq 0 ]; then
  sed 's/^\\([^=]*\\)=\\(.*\\)$/[\\1]: [\\2]/' "{props}"
  exit 0
fi
awk -v k="$1" -v d="$2" 'index($0, k "=") == 1 {{ print substr($0, length(k) + 2); f = 1; exit }}
  END {{ if (!f) print d }}' "{props}"
"""


def free_port() -> int:
    """A free TCP port on loopback outside the emulator range the adb server scans."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in EMULATOR_PORTS:
            return port


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        try:
            chunk = sock.recv(n - len(buf))
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


class _Stream:
    """One adb stream on the device side (our id ``local_id``, the host's ``remote_id``)."""

    def __init__(self, conn: _Connection, local_id: int, remote_id: int):
        self.conn = conn
        self.local_id = local_id
        self.remote_id = remote_id
        self.inbound: queue.Queue[bytes | None] = queue.Queue()
        self.closed = threading.Event()
        self.on_close: list[Callable[[], None]] = []
        self._ready = threading.Event()  # no WRTE outstanding
        self._ready.set()
        self._write_lock = threading.Lock()
        self._close_lock = threading.Lock()
        self._sent_close = False
        self._buf = bytearray()

    # -- called by the socket reader (must not block) --
    def okay(self) -> None:
        self._ready.set()

    def data(self, payload: bytes) -> None:
        self.inbound.put(payload)

    def remote_close(self) -> None:
        self.closed.set()
        self.inbound.put(None)
        self._send_close()
        for callback in self.on_close:
            callback()

    # -- called by service threads --
    def write(self, data: bytes) -> bool:
        """Send ``data`` in ``WRTE`` packets, one outstanding at a time; False once closed."""
        with self._write_lock:
            for off in range(0, len(data), self.conn.max_payload):
                while not self._ready.wait(0.05):
                    if self.closed.is_set():
                        return False
                if self.closed.is_set():
                    return False
                self._ready.clear()
                self.conn.send(A_WRTE, self.local_id, self.remote_id, data[off : off + self.conn.max_payload])
        return True

    def read(self, n: int) -> bytes | None:
        """Exactly ``n`` bytes of what the host wrote, or None at the end of the stream."""
        while len(self._buf) < n:
            chunk = self.inbound.get()
            if chunk is None:
                self.inbound.put(None)
                return None
            self._buf += chunk
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def close(self) -> None:
        """Close from the device side once the last ``WRTE`` is acknowledged."""
        deadline = time.monotonic() + 5
        while not self._ready.wait(0.05) and not self.closed.is_set() and time.monotonic() < deadline:
            pass
        self.closed.set()
        self.inbound.put(None)
        self._send_close()

    def _send_close(self) -> None:
        with self._close_lock:
            if self._sent_close:
                return
            self._sent_close = True
        self.conn.send(A_CLSE, self.local_id, self.remote_id)
        self.conn.forget(self.local_id)


class _Connection:
    """One TCP connection from the adb server: handshake, then the stream multiplexer."""

    def __init__(self, standin: AdbdStandin, sock: socket.socket):
        self.standin = standin
        self.sock = sock
        self.max_payload = MAX_PAYLOAD
        self._send_lock = threading.Lock()
        self._streams: dict[int, _Stream] = {}
        self._streams_lock = threading.Lock()
        self._next_id = 1

    def send(self, command: int, arg0: int, arg1: int, payload: bytes = b"") -> None:
        header = _HEADER.pack(
            command, arg0, arg1, len(payload), sum(payload) & 0xFFFFFFFF, command ^ 0xFFFFFFFF
        )
        with self._send_lock:
            try:
                self.sock.sendall(header + payload)
            except OSError:
                pass

    def forget(self, local_id: int) -> None:
        with self._streams_lock:
            self._streams.pop(local_id, None)

    def _read_packet(self) -> tuple[int, int, int, bytes] | None:
        header = _recv_exact(self.sock, _HEADER.size)
        if header is None:
            return None
        command, arg0, arg1, length, _crc, magic = _HEADER.unpack(header)
        if magic != command ^ 0xFFFFFFFF:
            return None
        payload = _recv_exact(self.sock, length) if length else b""
        if payload is None:
            return None
        return command, arg0, arg1, payload

    def serve(self) -> None:
        try:
            self._serve()
        finally:
            with self._streams_lock:
                streams = list(self._streams.values())
            for stream in streams:
                stream.remote_close()
            try:
                self.sock.close()
            except OSError:
                pass

    def _serve(self) -> None:
        standin = self.standin
        while (packet := self._read_packet()) is not None:
            command, arg0, arg1, payload = packet
            if command == A_CNXN:
                self.max_payload = max(4096, min(arg1, MAX_PAYLOAD))
                if standin.state == "device":
                    self.send(A_CNXN, A_VERSION, MAX_PAYLOAD, standin.banner().encode())
                elif standin.state == "unauthorized":
                    self.send(A_AUTH, AUTH_TOKEN, 0, secrets.token_bytes(20))
                # "offline": never answer
            elif command == A_AUTH:
                if arg0 == AUTH_SIGNATURE:  # refuse every key the host tries
                    self.send(A_AUTH, AUTH_TOKEN, 0, secrets.token_bytes(20))
                # AUTH_RSAPUBLICKEY: a phone would show its dialog; nobody accepts it
            elif standin.state != "device":
                continue
            elif command == A_OPEN:
                self._open(arg0, payload.rstrip(b"\0").decode("utf-8", "replace"))
            elif command == A_OKAY:
                if stream := self._streams.get(arg1):
                    stream.okay()
            elif command == A_WRTE:
                if stream := self._streams.get(arg1):
                    stream.data(payload)
                    self.send(A_OKAY, arg1, arg0)
            elif command == A_CLSE:
                if stream := self._streams.get(arg1):
                    stream.remote_close()

    def _open(self, remote_id: int, service: str) -> None:
        handler: Callable[[_Stream, str], None] | None = None
        if service.startswith("shell:") or service.startswith("shell,"):
            handler = self.standin._shell
        elif service == "sync:":
            handler = self.standin._sync
        self.standin.services.append(service)
        if handler is None:
            self.send(A_CLSE, 0, remote_id)
            return
        with self._streams_lock:
            local_id = self._next_id
            self._next_id += 1
            stream = _Stream(self, local_id, remote_id)
            self._streams[local_id] = stream
        self.send(A_OKAY, local_id, remote_id)
        threading.Thread(target=handler, args=(stream, service), daemon=True).start()


class AdbdStandin:
    """A loopback device that the real adb server connects to as ``127.0.0.1:PORT``.

    ``root``: the directory that holds the device's ``/data/local/tmp`` (created); ``props``: what
    ``getprop`` answers (``ro.product.model``, ``ro.soc.model``, ...); ``state``: ``"device"``,
    ``"offline"`` or ``"unauthorized"`` (see the module docstring); ``port``: default a free one;
    ``features``: what the banner advertises (without ``shell_v2`` the client falls back to the
    plain ``shell:`` service: no exit status, stderr merged into stdout).
    """

    def __init__(
        self,
        root: str | Path,
        *,
        props: Mapping[str, str] | None = None,
        state: str = "device",
        port: int | None = None,
        features: tuple[str, ...] = ("shell_v2", "cmd"),
    ):
        self.root = Path(root).resolve()
        if not _SAFE_ROOT.match(str(self.root)):
            raise ValueError(f"{self.root}: the stand-in rewrites shell commands; use a path without spaces")
        if state not in ("device", "offline", "unauthorized"):
            raise ValueError(f"state {state!r}: device, offline or unauthorized")
        self.state = state
        self.features = tuple(features)
        self.props: dict[str, str] = {
            "ro.product.model": "Standin Phone",
            "ro.product.name": "standin",
            "ro.product.device": "standin",
            "ro.soc.model": "SM8350",
            "ro.board.platform": "lahaina",
            "ro.hardware": "qcom",
            "ro.build.version.sdk": "33",
        }
        if props is not None:
            self.props = dict(props)
        self.fail_push: str | None = None
        self.shell_env: dict[str, str] = {}
        self.services: list[str] = []  # every service the host opened, in order
        self.tmp = self.root / DEVICE_TMP.lstrip("/")
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._private = self.root / ".standin"
        (self._private / "bin").mkdir(parents=True, exist_ok=True)
        getprop = self._private / "bin" / "getprop"
        getprop.write_text(GETPROP.format(props=self._private / "props"))
        getprop.chmod(0o755)
        self.port = port if port is not None else free_port()
        if self.port in EMULATOR_PORTS:
            raise ValueError(f"port {self.port}: the adb server probes 5555-5585 for emulators; use another")
        self._listener: socket.socket | None = None
        self._connections: list[_Connection] = []
        self._procs: set[subprocess.Popen] = set()
        self._lock = threading.Lock()

    @property
    def serial(self) -> str:
        """The serial the adb server gives this device after ``adb connect``."""
        return f"127.0.0.1:{self.port}"

    def banner(self) -> str:
        """The ``CNXN`` payload: system type, identity properties and features."""
        ident = ";".join(
            f"{k}={self.props.get(k, '').replace(' ', '_')}"
            for k in ("ro.product.name", "ro.product.model", "ro.product.device")
        )
        return f"device::{ident};features={','.join(self.features)}"

    def device_path(self, path: str) -> Path | None:
        """The host path of a device path under ``/data/local/tmp``, else None."""
        norm = posixpath.normpath(path)
        if norm == DEVICE_TMP:
            return self.tmp
        if norm.startswith(DEVICE_TMP + "/"):
            return self.tmp / norm[len(DEVICE_TMP) + 1 :]
        return None

    def running(self) -> int:
        """How many shell commands are still running."""
        with self._lock:
            return sum(proc.poll() is None for proc in self._procs)

    def start(self) -> AdbdStandin:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the listener and every connection and kill the shell commands still running."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            conns, procs = list(self._connections), list(self._procs)
        for conn in conns:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for proc in procs:
            self._kill(proc)

    def __enter__(self) -> AdbdStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        listener = self._listener
        while listener is not None:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Connection(self, sock)
            with self._lock:
                self._connections.append(conn)
            threading.Thread(target=conn.serve, daemon=True).start()

    # -- shell --
    def _shell_environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PATH"] = f"{self._private / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
        env["TMPDIR"] = str(self.tmp)
        env.update(self.shell_env)
        return env

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the session we started for this command
            except ProcessLookupError:
                pass

    def _shell(self, stream: _Stream, service: str) -> None:
        head, _, command = service.partition(":")
        v2 = "v2" in head.split(",")[1:]
        (self._private / "props").write_text("".join(f"{k}={v}\n" for k, v in self.props.items()))
        command = command.replace(DEVICE_TMP, str(self.tmp))
        argv = ["sh", "-c", command] if command else ["sh"]
        proc = subprocess.Popen(
            argv,
            cwd=self.tmp,
            env=self._shell_environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if v2 else subprocess.STDOUT,
            start_new_session=True,
        )
        with self._lock:
            self._procs.add(proc)
        stream.on_close.append(lambda: self._kill(proc))

        def pump(pipe, packet_id: int) -> None:
            while chunk := os.read(pipe.fileno(), 65536):
                data = struct.pack("<BI", packet_id, len(chunk)) + chunk if v2 else chunk
                if not stream.write(data):
                    break
            pipe.close()

        pumps = [threading.Thread(target=pump, args=(proc.stdout, SHELL_STDOUT), daemon=True)]
        if v2:
            pumps.append(threading.Thread(target=pump, args=(proc.stderr, SHELL_STDERR), daemon=True))
        threading.Thread(target=self._shell_stdin, args=(stream, proc, v2), daemon=True).start()
        for t in pumps:
            t.start()
        for t in pumps:
            t.join()
        status = proc.wait()
        with self._lock:
            self._procs.discard(proc)
        if v2 and not stream.closed.is_set():
            code = status if status >= 0 else 128 - status  # killed by a signal: 128 + signal
            stream.write(struct.pack("<BIB", SHELL_EXIT, 1, code & 0xFF))
        stream.close()

    @staticmethod
    def _shell_stdin(stream: _Stream, proc: subprocess.Popen, v2: bool) -> None:
        stdin = proc.stdin
        assert stdin is not None

        def close_stdin() -> None:
            try:
                stdin.close()
            except OSError:
                pass

        while True:
            if v2:
                header = stream.read(5)
                if header is None:
                    break
                packet_id, length = struct.unpack("<BI", header)
                payload = stream.read(length) if length else b""
                if payload is None:
                    break
                if packet_id == SHELL_CLOSE_STDIN:
                    close_stdin()
                    continue
                if packet_id != SHELL_STDIN:
                    continue  # window size changes and the like
            else:
                payload = stream.inbound.get()
                if payload is None:
                    break
            try:
                stdin.write(payload)
                stdin.flush()
            except (OSError, ValueError):
                pass
        close_stdin()

    # -- sync --
    def _sync(self, stream: _Stream, service: str) -> None:
        def reply(data: bytes) -> bool:
            return stream.write(data)

        def fail(message: str) -> None:
            raw = message.encode()
            reply(b"FAIL" + struct.pack("<I", len(raw)) + raw)

        while (header := stream.read(8)) is not None:
            request, length = header[:4], struct.unpack("<I", header[4:])[0]
            arg = stream.read(length) if length else b""
            if arg is None:
                break
            if request == b"QUIT":
                break
            path = arg.decode("utf-8", "replace")
            if request == b"STAT":
                host = self.device_path(path)
                try:
                    st = os.lstat(host) if host is not None else None
                except OSError:
                    st = None
                fields = (st.st_mode, st.st_size & 0xFFFFFFFF, int(st.st_mtime)) if st else (0, 0, 0)
                reply(b"STAT" + struct.pack("<3I", *fields))
            elif request == b"LIST":
                host = self.device_path(path)
                if host is not None and host.is_dir():
                    for entry in sorted(host.iterdir()):
                        st = entry.lstat()
                        name = entry.name.encode()
                        reply(
                            b"DENT"
                            + struct.pack(
                                "<4I", st.st_mode, st.st_size & 0xFFFFFFFF, int(st.st_mtime), len(name)
                            )
                            + name
                        )
                reply(b"DONE" + struct.pack("<4I", 0, 0, 0, 0))
            elif request == b"SEND":
                if not self._receive_file(stream, path, fail):
                    break
            elif request == b"RECV":
                host = self.device_path(path)
                try:
                    if host is None:
                        raise PermissionError("Permission denied")
                    with open(host, "rb") as fh:
                        while block := fh.read(SYNC_DATA_MAX):
                            if not reply(b"DATA" + struct.pack("<I", len(block)) + block):
                                return
                    reply(b"DONE" + struct.pack("<I", 0))
                except OSError as e:
                    fail(f"open failed: {e.strerror or e}")
            else:
                fail(f"unknown sync request {request!r}")
                break
        stream.close()

    def _receive_file(self, stream: _Stream, spec: str, fail: Callable[[str], None]) -> bool:
        """One ``SEND``: read ``DATA`` to ``DONE`` into a temporary file, then move it into place."""
        path, _, mode_text = spec.rpartition(",")
        mode = int(mode_text) if mode_text.isdigit() else 0o644
        host = self.device_path(path)
        error = self.fail_push or (None if host is not None else "Permission denied")
        tmp: Path | None = None
        fh = None
        if error is None and host is not None:
            try:
                host.parent.mkdir(parents=True, exist_ok=True)
                tmp = host.with_name(f".{host.name}.sync")
                fh = open(tmp, "wb")  # closed below on every path
            except OSError as e:
                error = e.strerror or str(e)
        mtime = 0
        try:
            while True:
                header = stream.read(8)
                if header is None:
                    return False
                kind, length = header[:4], struct.unpack("<I", header[4:])[0]
                if kind == b"DONE":
                    mtime = length
                    break
                if kind != b"DATA":
                    fail(f"invalid data message {kind!r}")
                    return False
                block = stream.read(length)
                if block is None:
                    return False
                if fh is not None:
                    fh.write(block)
        finally:
            if fh is not None:
                fh.close()
        if error is not None or host is None or tmp is None:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
            fail(f"couldn't create file: {error}")
            return True
        tmp.chmod(mode & 0o7777)
        os.utime(tmp, (mtime, mtime))
        os.replace(tmp, host)
        stream.write(b"OKAY" + struct.pack("<I", 0))
        return True


class HostAdb:
    """The real adb server on a private port (``ANDROID_ADB_SERVER_PORT``) with a private ``HOME``
    and ``TMPDIR``; :attr:`env` is what every ``adb`` call needs to reach it."""

    def __init__(self, home: str | Path, *, adb: str = "adb", port: int | None = None):
        self.adb = adb
        self.home = Path(home)
        (self.home / "tmp").mkdir(parents=True, exist_ok=True)
        self.port = port if port is not None else free_port()
        self.env = {
            "HOME": str(self.home),
            "TMPDIR": str(self.home / "tmp"),
            "ANDROID_ADB_SERVER_PORT": str(self.port),
        }
        self._connects: list[subprocess.Popen] = []

    def __call__(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        """Run ``adb ARGS`` against this server."""
        return subprocess.run(
            [self.adb, *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def start(self) -> HostAdb:
        proc = self("start-server")
        if proc.returncode != 0:
            raise RuntimeError(f"adb start-server failed: {proc.stdout}{proc.stderr}")
        return self

    def connect(self, device: AdbdStandin, *, wait_for: str = "device", timeout: float = 15) -> str:
        """``adb connect`` to ``device`` and wait until ``adb devices`` shows it as ``wait_for``.

        ``adb connect`` itself returns at once for a device that answers (``connected to``,
        ``failed to authenticate``) but waits 10 s for one that never completes the handshake;
        it runs in the background, and :meth:`kill` collects it."""
        proc = subprocess.Popen(
            [self.adb, "connect", device.serial],
            env={**os.environ, **self.env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._connects.append(proc)
        deadline = time.monotonic() + timeout
        while (state := self.state(device.serial)) != wait_for:
            if time.monotonic() > deadline:
                said = proc.stdout.read() if proc.poll() is not None and proc.stdout else "(still running)"
                raise RuntimeError(f"adb connect {device.serial}: state {state!r}, not {wait_for!r}; {said}")
            time.sleep(0.02)
        return device.serial

    def state(self, serial: str) -> str:
        """The state column of ``adb devices`` for ``serial`` ('' when not listed)."""
        for line in self("devices").stdout.splitlines()[1:]:
            parts = line.split()
            if len(parts) >= 2 and parts[0] == serial:
                return parts[1]
        return ""

    def disconnect(self, serial: str) -> None:
        self("disconnect", serial)

    def kill(self) -> None:
        """``adb kill-server`` (ends the server this object started), then collect the ``adb
        connect`` clients it started (they end with the server)."""
        try:
            self("kill-server", timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for proc in self._connects:
            try:
                proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
        self._connects.clear()
