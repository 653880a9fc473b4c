"""Jobs forked from a warm process: a local build's ``python -m ibrepro`` commands skip the
imports that are most of a small job's time.

Every job of the workflow is a fresh interpreter that imports what it needs before any work:
on the 2-core machine torch takes ~2.8 s, numba ~0.9 s and its registries at the first kernel
~1.0 s more, matplotlib ~1.1 s, xarray (pandas) ~1.0 s, against well under a second of work for
most quick-scale jobs (docs/performance.md, eleventh session). So while Snakemake runs jobs on this
machine, one server (``serve``), started by the Snakefile (``start``), holds those libraries
imported. A job's ``python -m ibrepro`` (``hand_over``) connects to it and sends its command
line, working directory, environment and standard streams; the server forks, and the child
becomes the job: it takes the streams, directory and environment and runs the command as the
fresh process would have, with the same code, then exits as it would have. The client exits
with the child's status, and a client that is killed (Snakemake cancelling the job) takes the
job down with it. A build's first jobs wait while its server imports.

A client runs its command itself, as before, when no server listens for its version of the
code (the socket is named by the package's source key, so an edit during a build is never
served by old code), when the server runs another interpreter, when an environment variable
that libraries read at import differs from the server's, or with ``IBREPRO_JOB_SERVER=off``.
The thread variables Snakemake sets per job (``OMP_NUM_THREADS`` ...) are not compared: the
commands set torch's and numba's threads and their processes from ``--threads`` (numpy's
OpenBLAS keeps the server's thread count).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys
import time
from pathlib import Path

VARIABLE = "IBREPRO_JOB_SERVER"  # the server's directory, set for the jobs; "off" disables
# what the server imports once for every job (torch: training; numba kernels' modules:
# estimators; xarray, netCDF4, matplotlib: every reader and figure; matplotlib's PDF writer
# and the font subsetter it imports on first use: 0.1 s of each figure job)
PRELOAD = ("ibrepro.cli", "ibrepro.train", "ibrepro.estimators.apply",
           "ibrepro.estimators.measures", "ibrepro.figures", "ibrepro.papers", "ibrepro.report",
           "ibrepro.data", "matplotlib.pyplot", "matplotlib.backends.backend_pdf",
           "fontTools.subset")
# environment variables read when a library loads: a job whose values differ runs itself
IMPORT_TIME_PREFIXES = ("PYTHON", "LD_", "NUMBA_", "OMP_", "KMP_", "MKL_", "OPENBLAS_", "GOTO_",
                        "CUDA_", "TORCH", "PYTORCH_", "MPL", "HDF5_", "NETCDF")
PER_JOB = frozenset({"OMP_NUM_THREADS", "GOTO_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                     "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"})
ACCEPTED, REFUSED = b"A", b"R"
STARTING, PID = "starting", "server.pid"  # in the server's directory: it imports; its pid
_STATUS = struct.Struct("!i")  # the job's exit code, or minus the signal that ended it
_LENGTH = struct.Struct("!Q")


def socket_path(directory: str | Path, key: str) -> Path:
    """Where the server for the code version ``key`` listens."""
    return Path(directory) / f"{key}.sock"


def _interpreter() -> dict:
    return {"executable": os.path.realpath(sys.executable), "prefix": sys.prefix,
            "version": sys.version}


def _import_time_environment(environ) -> dict:
    return {name: value for name, value in environ.items()
            if name.startswith(IMPORT_TIME_PREFIXES) and name not in PER_JOB}


# --------------------------------------------------------------------------- the client side

def hand_over(argv: list[str], key: str) -> int | None:
    """Run ``argv`` (``sys.argv`` of ``python -m ibrepro``) in the build's server and return
    its exit status; None when no server takes it (the caller then runs it itself)."""
    directory = os.environ.get(VARIABLE, "")
    if directory in ("", "off"):
        return None
    _wait_while_starting(Path(directory))
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(str(socket_path(directory, key)))
    except OSError:
        client.close()
        return None
    with client:
        request = json.dumps({"argv": argv, "cwd": os.getcwd(), "environ": dict(os.environ),
                              **_interpreter()}).encode()
        socket.send_fds(client, [b"J"], [0, 1, 2])  # the job's stdin, stdout and stderr
        client.sendall(_LENGTH.pack(len(request)) + request)
        if _receive(client, 1) != ACCEPTED:
            return None
        status = _STATUS.unpack(_receive(client, _STATUS.size))[0]
    if status < 0:  # the job died of a signal: so does its client (its shell sees 128 + n)
        if -status not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
        return 128 - status
    return status


def _wait_while_starting(directory: Path, timeout: float = 120) -> None:
    """Wait while the build's server imports (``STARTING`` exists and its process lives): a
    build's first jobs would otherwise import the same libraries beside it, on the same cores
    (a one-job paper-scale bin-size build: 39.9 s against 19.5 s served)."""
    deadline = time.monotonic() + timeout
    while (directory / STARTING).exists() and time.monotonic() < deadline:
        if not _starting_server_alive(directory / PID):
            return
        time.sleep(0.02)


def _starting_server_alive(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text()), 0)
    except (FileNotFoundError, ValueError):  # start() is writing it
        return True
    except OSError:
        return False
    return True


def _receive(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the job server closed the connection")
        data += chunk
    return data


# --------------------------------------------------------------------------- the server side

class Job:
    """One command handed over, as the forked child runs it."""

    def __init__(self, request: dict, streams: list[int], imported: dict[str, str]):
        self.argv = request["argv"]
        self.cwd = request["cwd"]
        self.environ = {**request["environ"], **imported}
        self.streams = streams

    def become(self) -> None:
        """Take the client's streams, directory, environment (with what the server's imports
        set in theirs, as the job's own imports would have: netCDF4's HDF5_PLUGIN_PATH) and
        command line."""
        sys.stdout.flush()
        sys.stderr.flush()
        for target, fd in enumerate(self.streams):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(self.cwd)
        os.environ.clear()
        os.environ.update(self.environ)
        sys.argv = list(self.argv)


def _refusal(request: dict, ours: dict[str, str]) -> str | None:
    """Why a server whose import-time variables were ``ours`` (``_import_time_environment``
    of its environment before its imports) must not run the request (None: it may)."""
    for field, value in _interpreter().items():
        if request.get(field) != value:
            return f"{field} {request.get(field)!r} is not the server's {value!r}"
    theirs = _import_time_environment(request["environ"])
    for name in sorted(set(theirs) | set(ours)):
        if theirs.get(name) != ours.get(name):
            return f"environment variable {name}={theirs.get(name)!r} (server: {ours.get(name)!r})"
    return None


def _accept(listener: socket.socket) -> tuple[socket.socket, dict, list[int]] | None:
    connection, _ = listener.accept()
    try:
        connection.settimeout(10)
        _, fds, _, _ = socket.recv_fds(connection, 1, 3)
        if len(fds) != 3:
            raise ConnectionError(f"{len(fds)} streams instead of 3")
        length = _LENGTH.unpack(_receive(connection, _LENGTH.size))[0]
        request = json.loads(_receive(connection, length))
        connection.settimeout(None)
    except (OSError, ValueError) as error:
        print(f"job server: a bad request ({error})", flush=True)
        connection.close()
        return None
    return connection, request, fds


def serve(directory: str | Path, key: str, preload=PRELOAD, idle_exit: float | None = None):
    """Import ``preload``, then fork a child for each job handed over to ``directory``'s socket
    for ``key``. Returns only in a child: its ``Job``, which the caller runs and then exits.
    The server stops on SIGTERM or SIGINT, when its parent exits, or after ``idle_exit``
    seconds with no job; it then ends the jobs still running. The jobs stay in the server's
    process group, so a signal to the build's group (Ctrl-C) reaches them as it reaches any
    job."""
    import gc
    import importlib
    import selectors

    started_in = dict(os.environ)
    try:
        for module in preload:
            importlib.import_module(module)
    except BaseException:
        (Path(directory) / STARTING).unlink(missing_ok=True)  # no client waits for it
        raise
    imported = {name: value for name, value in os.environ.items()
                if started_in.get(name) != value}  # set by the imports
    import_time = _import_time_environment(started_in)  # what each request is compared with
    if "numba" in sys.modules:
        _initialise_numba()
    gc.freeze()  # the imports' objects: a child's collections never walk (nor copy) them
    path = socket_path(directory, key)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    staging = path.with_suffix(f".{os.getpid()}")
    staging.unlink(missing_ok=True)
    listener.bind(str(staging))
    listener.listen(64)
    os.replace(staging, path)  # clients see the socket once it accepts
    (Path(directory) / STARTING).unlink(missing_ok=True)
    print(f"job server {os.getpid()}: {path} (imports {', '.join(preload)})", flush=True)

    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    handlers = {number: signal.getsignal(number)
                for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT)}
    stopping = []
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the selector through the pipe
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    parent, server = os.getppid(), os.getpid()
    jobs: dict[int, tuple[socket.socket, float, str]] = {}  # pid -> connection, start, command
    idle_since = time.monotonic()
    try:
        while not stopping and os.getppid() == parent:
            if idle_exit is not None and not jobs and time.monotonic() - idle_since > idle_exit:
                break
            for event, _ in selector.select(timeout=1.0):
                if event.fileobj is wake_read:
                    os.read(wake_read, 512)
                elif event.fileobj is listener:
                    accepted = _accept(listener)
                    if accepted is None:
                        continue
                    connection, request, fds = accepted
                    reason = _refusal(request, import_time)
                    if reason:
                        print(f"job server: refused {_command(request['argv'])}: {reason}",
                              flush=True)
                        connection.sendall(REFUSED)
                        connection.close()
                        for fd in fds:
                            os.close(fd)
                        continue
                    pid = os.fork()
                    if pid == 0:  # the child: drop the server's state, become the job
                        _die_with_parent()
                        signal.set_wakeup_fd(-1)
                        for number, handler in handlers.items():
                            signal.signal(number, handler)
                        selector.close()
                        for fd in (wake_read, wake_write):
                            os.close(fd)
                        listener.close()
                        connection.close()
                        for other, _, _ in jobs.values():
                            other.close()
                        return Job(request, fds, imported)
                    for fd in fds:
                        os.close(fd)
                    connection.sendall(ACCEPTED)
                    selector.register(connection, selectors.EVENT_READ, pid)
                    jobs[pid] = (connection, time.monotonic(), _command(request["argv"]))
                else:  # a client's end closed before its job's: the job is abandoned
                    pid = event.data
                    print(f"job server: client of {jobs[pid][2]} gone; ending job {pid}",
                          flush=True)
                    _end(pid)
                    selector.unregister(event.fileobj)
            idle_since = _reap(jobs, selector, idle_since)
    finally:
        if os.getpid() == server:  # not in a child returning its job
            for pid in list(jobs):
                _end(pid)
            path.unlink(missing_ok=True)
            listener.close()
            print(f"job server {server}: stopped", flush=True)
    return None


def _initialise_numba() -> None:
    """Compile one trivial function: at a process's first kernel numba loads its typing and
    lowering registries, 1.0 s of a served quick bin-size job's 1.5 s; after this its cached
    kernels load in milliseconds (0.6 s in all)."""
    import numba

    numba.njit("int64(int64)")(lambda x: x + 1)


def _reap(jobs: dict, selector, idle_since: float) -> float:
    """Send each finished job's status to its client; return when the server went idle."""
    while jobs:
        pid, status, usage = os.wait4(-1, os.WNOHANG)
        if pid == 0:
            break
        connection, started, command = jobs.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        print(f"job {pid}: {command}: exit {code} in {time.monotonic() - started:.2f} s, "
              f"cpu {usage.ru_utime + usage.ru_stime:.2f} s", flush=True)
        try:
            connection.sendall(_STATUS.pack(code))
        except OSError:
            pass  # the client is gone
        if connection.fileno() in selector.get_map():
            selector.unregister(connection)
        connection.close()
        idle_since = time.monotonic()
    return idle_since


def _end(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


def _die_with_parent() -> None:
    """Have the kernel end this child when the server dies, whatever kills it (Linux;
    elsewhere the server's own shutdown ends its jobs)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _command(argv: list[str]) -> str:
    """The subcommand and its first argument, for the server's log."""
    words = [word for word in argv[1:] if not word.startswith("{")]
    return " ".join(words[:2]) or "(no command)"


# --------------------------------------------------------------------------- the build's side

class Server:
    """A job server started for one build (``start``); ``stop`` ends it."""

    def __init__(self, directory: Path, process, log: Path):
        self.directory, self.process, self.log = directory, process, log

    def stop(self) -> None:
        """End the server (and any job still running) and remove its directory."""
        import shutil
        import subprocess

        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)
        if os.environ.get(VARIABLE) == str(self.directory):
            del os.environ[VARIABLE]


def start(log: str | Path) -> Server | None:
    """Start a server for the jobs this process (Snakemake) starts from now on, logging to
    ``log``: its socket directory goes into their ``IBREPRO_JOB_SERVER``. None when that
    variable is ``off``. Jobs started before the server listens run themselves."""
    import subprocess
    import tempfile

    if os.environ.get(VARIABLE) == "off":
        return None
    directory = Path(tempfile.mkdtemp(prefix="ibrepro-jobs-"))  # short: a socket path ≤ 107 B
    (directory / STARTING).touch()  # the first jobs wait for the server (it removes this)
    log = Path(log)
    log.parent.mkdir(parents=True, exist_ok=True)
    environ = {name: value for name, value in os.environ.items() if name != VARIABLE}
    with open(log, "a") as stream:
        process = subprocess.Popen([sys.executable, "-m", "ibrepro", "serve", str(directory)],
                                   env=environ, stdin=subprocess.DEVNULL, stdout=stream,
                                   stderr=subprocess.STDOUT)
    (directory / PID).write_text(str(process.pid))
    os.environ[VARIABLE] = str(directory)
    return Server(directory, process, log)
