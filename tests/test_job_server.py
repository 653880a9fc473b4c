"""The job server (ibrepro.job_server): a command handed over runs as it would have run itself
(streams, directory, environment, exit status), a killed client ends its job, and whatever the
server cannot run exactly as a fresh process would, the client runs itself."""

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ibrepro import SOURCE_KEY, job_server

REPO = Path(__file__).resolve().parents[1]

# a server of fake commands, so a test can make a job sleep, fail or die as it likes
SERVER = textwrap.dedent("""
    import os, signal, sys, time
    from ibrepro import job_server

    job = job_server.serve(sys.argv[1], "test-key", preload=("netCDF4",))
    if job is not None:
        job.become()
        command = sys.argv[1]
        if command == "show":
            print(os.environ.get("PROBE"), os.getcwd(), sys.argv[2:], flush=True)
            print("HDF5_PLUGIN_PATH" in os.environ, file=sys.stderr)
            print("to stderr", file=sys.stderr)
            sys.exit(3)
        if command == "sleep":
            print("sleeping", os.getpid(), flush=True)
            time.sleep(120)
        if command == "die":
            os.kill(os.getpid(), signal.SIGKILL)
        if command == "spin":  # half a second of CPU
            end = time.process_time() + 0.5
            while time.process_time() < end:
                pass
""")
CLIENT = textwrap.dedent("""
    import sys
    from ibrepro import job_server

    status = job_server.hand_over(sys.argv, sys.argv.pop(1))
    if status is None:
        print("ran itself", flush=True)
        status = 99
    sys.exit(status)
""")


def _environ(**extra) -> dict[str, str]:
    environ = {name: value for name, value in os.environ.items()  # as Snakemake's, before
               if name not in (job_server.VARIABLE, "HDF5_PLUGIN_PATH")}  # netCDF4's import
    return {**environ, "PYTHONPATH": str(REPO / "src"), **extra}


def _wait_for(predicate, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def server(tmp_path):
    """A fake-command server on ``tmp_path/socket``; yields (directory, log path, process)."""
    directory = tmp_path / "socket"
    directory.mkdir()
    (tmp_path / "server.py").write_text(SERVER)
    log = tmp_path / "server.log"
    with open(log, "w") as stream:
        process = subprocess.Popen([sys.executable, str(tmp_path / "server.py"), str(directory)],
                                   env=_environ(), stdout=stream, stderr=subprocess.STDOUT)
    socket_file = job_server.socket_path(directory, "test-key")
    _wait_for(socket_file.exists, "the server's socket")
    yield directory, log, process
    process.terminate()
    process.wait(timeout=30)
    assert not socket_file.exists()


def _client(tmp_path, directory, *argv, key="test-key", popen=False, python=sys.executable,
            **extra):
    (tmp_path / "client.py").write_text(CLIENT)
    command = [str(python), str(tmp_path / "client.py"), key, *argv]
    kwargs = dict(env=_environ(**{job_server.VARIABLE: str(directory)}, **extra),
                  cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if popen:
        return subprocess.Popen(command, **kwargs)
    return subprocess.run(command, timeout=60, **kwargs)


def test_a_job_runs_with_the_clients_streams_directory_environment_and_exit(server, tmp_path):
    directory, log, _ = server
    result = _client(tmp_path, directory, "show", "a", "b", PROBE="probe-value")
    assert result.returncode == 3
    assert result.stdout == f"probe-value {tmp_path} ['a', 'b']\n"
    # what the server's imports set, the job keeps: netCDF4 finds HDF5's filters through it
    assert result.stderr == "True\nto stderr\n"
    assert "show a: exit 3" in log.read_text()


def test_the_log_gives_each_jobs_own_cpu_time(server, tmp_path):
    """Snakemake's benchmark counts the client's CPU only; the log counts the job's."""
    directory, log, _ = server
    assert _client(tmp_path, directory, "spin").returncode == 0
    cpu = re.search(r"spin: exit 0 in [\d.]+ s, cpu ([\d.]+) s", log.read_text())
    assert 0.45 <= float(cpu[1]) < 5


def test_an_interpreter_called_by_another_name_is_served(server, tmp_path):
    """Snakemake runs as ``python3.11`` (its script's shebang), its jobs as ``python``: two
    names, in one directory, of one interpreter (pyenv's and venvs' links)."""
    here = Path(sys.executable)
    version = sys.version_info
    names = (f"python{version.major}.{version.minor}", f"python{version.major}", "python")
    others = [here.parent / name for name in names if (here.parent / name).exists()
              and here.parent / name != here and (here.parent / name).resolve() == here.resolve()]
    if not others:
        pytest.skip(f"no other name of {here} beside it")
    assert _client(tmp_path, server[0], "show", python=others[0]).returncode == 3


def test_a_job_killed_by_a_signal_kills_its_client_likewise(server, tmp_path):
    assert _client(tmp_path, server[0], "die").returncode == -signal.SIGKILL


def test_killing_the_client_ends_its_job(server, tmp_path):
    directory, log, _ = server
    client = _client(tmp_path, directory, "sleep", popen=True)
    pid = int(client.stdout.readline().split()[1])
    client.kill()
    client.wait()
    _wait_for(lambda: f"job {pid}: sleep: exit -{signal.SIGTERM.value}" in log.read_text(),
              "the abandoned job's end", timeout=20)
    assert "gone; ending job" in log.read_text()


def test_a_stopped_server_ends_its_jobs(server, tmp_path):
    directory, log, process = server
    client = _client(tmp_path, directory, "sleep", popen=True)
    pid = int(client.stdout.readline().split()[1])
    process.terminate()
    process.wait(timeout=30)
    _wait_for(lambda: not Path(f"/proc/{pid}").exists() or _zombie(pid), "the job's end", 20)
    assert client.wait(timeout=30) != 0  # its job did not finish


def _zombie(pid: int) -> bool:
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"


@pytest.mark.parametrize("extra", [{"NUMBA_OPT": "0"}, {"PYTHONHASHSEED": "1"}])
def test_a_different_import_time_environment_runs_itself(server, tmp_path, extra):
    directory, log, _ = server
    result = _client(tmp_path, directory, "show", **extra)
    assert (result.returncode, result.stdout) == (99, "ran itself\n")
    assert f"environment variable {next(iter(extra))}=" in log.read_text()


def test_per_job_thread_variables_do_not_refuse_a_job(server, tmp_path):
    assert _client(tmp_path, server[0], "show", OMP_NUM_THREADS="1").returncode == 3


def test_without_a_server_for_the_code_version_the_client_runs_itself(server, tmp_path):
    directory = server[0]
    assert _client(tmp_path, directory, "show", key="other-key").returncode == 99
    assert _client(tmp_path, tmp_path / "missing", "show").returncode == 99
    assert _client(tmp_path, "off", "show").returncode == 99


def test_a_client_waits_for_a_starting_server(tmp_path):
    """A build's first jobs start while its server imports: they wait for it instead of
    importing the same beside it."""
    directory = tmp_path / "socket"
    directory.mkdir()
    (directory / job_server.STARTING).touch()
    (directory / job_server.PID).write_text(str(os.getpid()))  # alive
    client = _client(tmp_path, directory, "show", popen=True)
    time.sleep(1.0)
    assert client.poll() is None  # waiting
    (tmp_path / "server.py").write_text(SERVER)
    server = subprocess.Popen([sys.executable, str(tmp_path / "server.py"), str(directory)],
                              env=_environ(), stdout=subprocess.DEVNULL)
    try:
        assert client.wait(timeout=60) == 3  # served, not run by itself (99)
        assert not (directory / job_server.STARTING).exists()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_client_does_not_wait_for_a_dead_starting_server(tmp_path):
    directory = tmp_path / "socket"
    directory.mkdir()
    (directory / job_server.STARTING).touch()
    dead = subprocess.Popen(["true"])
    dead.wait()
    (directory / job_server.PID).write_text(str(dead.pid))
    started = time.monotonic()
    assert _client(tmp_path, directory, "show").returncode == 99
    assert time.monotonic() - started < 30


def test_a_server_whose_parent_exits_stops(tmp_path):
    directory = tmp_path / "socket"
    directory.mkdir()
    (tmp_path / "server.py").write_text(SERVER)
    parent = subprocess.Popen(  # the parent (the build's Snakemake) starts it, then exits
        ["sh", "-c", f'"{sys.executable}" server.py socket > server.log 2>&1 & sleep 2'],
        cwd=tmp_path, env=_environ())
    socket_file = job_server.socket_path(directory, "test-key")
    _wait_for(socket_file.exists, "the server's socket")
    parent.wait(timeout=30)
    _wait_for(lambda: not socket_file.exists(), "the orphaned server's stop", timeout=20)
    assert "stopped" in (tmp_path / "server.log").read_text()


def test_the_real_cli_runs_in_a_started_server_as_it_would_itself(tmp_path, monkeypatch):
    """``start`` as the Snakefile calls it; ``python -m ibrepro check`` from a directory of its
    own, once through the server and once itself, prints the same and exits alike."""
    monkeypatch.delenv(job_server.VARIABLE, raising=False)
    monkeypatch.setenv("PYTHONPATH", str(REPO / "src"))
    server = job_server.start(tmp_path / "logs" / "job_server.log")
    try:
        assert os.environ[job_server.VARIABLE] == str(server.directory)
        socket_file = job_server.socket_path(server.directory, SOURCE_KEY)
        _wait_for(socket_file.exists, "the real server's socket", timeout=120)
        runs = {}
        for where in (str(server.directory), "off"):
            runs[where] = [subprocess.run(
                [sys.executable, "-m", "ibrepro", "check", "--config", config],
                cwd=REPO / "workflow", env={**os.environ, job_server.VARIABLE: where},
                capture_output=True, text=True, timeout=120) for config in
                ("../config.yaml", "../missing.yaml")]
        served, itself = runs.values()
        assert served[0].returncode == itself[0].returncode == 0
        assert served[0].stdout == itself[0].stdout and served[0].stdout.startswith("config ok")
        assert served[1].returncode == itself[1].returncode != 0
        assert "missing.yaml" in served[1].stderr
        assert served[1].stderr.splitlines()[-1] == itself[1].stderr.splitlines()[-1]
        log = server.log.read_text()
        assert log.count("check --config: exit") == 2  # the "off" runs never reached it
    finally:
        server.stop()
    assert not server.directory.exists() and server.process.poll() is not None
    assert job_server.VARIABLE not in os.environ
