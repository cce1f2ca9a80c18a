"""Killing the CLI leaves no process behind: the espeak server, its zygotes and utterance
children, and the pool workers all exit with their parent (issue 19)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import psutil
import pytest
import yaml

from tests.conftest import AORGEN

pytestmark = pytest.mark.slow  # killed builds and their worker processes (fast lane: pytest -m "not slow")


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _start_build(mini, workers: int) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """A build running until its espeak server is up; returns it and its descendants then."""
    recipe = yaml.safe_load(mini["recipe"].read_text())
    recipe["samples_per_category"] = {"pseudo_harmful": 30, "harmful_contrast": 6, "benign_control": 6}
    mini["recipe"].write_text(yaml.safe_dump(recipe))
    build = subprocess.Popen([*AORGEN, "build", "--recipe", str(mini["recipe"]), "--out", str(mini["out"]),
                              "--cache-dir", str(mini["cache"]), "--workers", str(workers)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    main = psutil.Process(build.pid)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and build.poll() is None:
        try:
            family = main.children(recursive=True)
        except psutil.NoSuchProcess:
            break
        servers = [p for p in family if "_espeak_server" in " ".join(_cmdline(p))]
        if len(servers) >= min(workers, 2) and len(family) > len(servers):  # a server and a zygote at least
            return build, family
        time.sleep(0.02)
    build.kill()
    build.wait()
    pytest.fail(f"the build (exit {build.returncode}) never showed its espeak server: "
                f"{build.stderr.read().decode()[-2000:]}")


def _assert_all_gone(family: list[psutil.Process]) -> None:
    """Every process of ``family`` exits within seconds (any left are killed, then reported)."""
    left = _wait_gone(family)
    for proc in left:
        proc.kill()
    assert not left, [(p.pid, p.cmdline()) for p in left]


def _cmdline(proc: psutil.Process) -> list[str]:
    try:
        return proc.cmdline()
    except psutil.Error:  # an utterance child that has just exited
        return []


def _wait_gone(family: list[psutil.Process], seconds: float = 10.0) -> list[psutil.Process]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [p for p in family if _alive(p)]
        if not left:
            return []
        time.sleep(0.1)
    return [p for p in family if _alive(p)]


@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_of_the_main_process_leaves_no_descendant(mini, workers):
    build, family = _start_build(mini, workers)
    os.kill(build.pid, signal.SIGKILL)
    build.wait()
    _assert_all_gone(family)


def test_sigkill_of_the_process_group_leaves_no_descendant(mini):
    build, family = _start_build(mini, 1)
    os.killpg(build.pid, signal.SIGKILL)
    build.wait()
    _assert_all_gone(family)


def test_espeak_server_exits_when_its_pipe_closes():
    from aorgen.tts import Prosody
    from aorgen.tts.espeak import EspeakEngine

    engine = EspeakEngine()
    voice = engine.voices()[0]
    engine.synthesize("The crowd is on its feet.", voice, Prosody())
    server = psutil.Process(engine._server.pid)
    family = [server, *server.children(recursive=True)]
    assert len(family) >= 2  # the server and the voice's zygote
    engine._server.stdin.close()
    engine._server.wait(timeout=10)
    _assert_all_gone(family)


LONG_UTTERANCE = """
from aorgen.tts import Prosody
from aorgen.tts.espeak import EspeakEngine

engine = EspeakEngine()
engine.synthesize(" ".join(["word"] * 200_000), engine.voices()[0], Prosody())
"""


def test_sigkill_mid_utterance_leaves_no_descendant(tmp_path):
    """A long utterance is synthesised by a grandchild of the server (server -> zygote ->
    utterance): killing the caller must stop it too, not leave it growing on its own."""
    import sys

    script = tmp_path / "speak.py"
    script.write_text(LONG_UTTERANCE)
    caller = subprocess.Popen([sys.executable, str(script)], env={**os.environ, "PYTHONPATH": os.getcwd()},
                              stderr=subprocess.PIPE)
    main = psutil.Process(caller.pid)
    deadline = time.monotonic() + 60
    family: list[psutil.Process] = []
    while time.monotonic() < deadline and caller.poll() is None and len(family) < 3:
        family = main.children(recursive=True)
        time.sleep(0.02)
    assert len(family) >= 3, caller.stderr.read().decode()[-2000:]  # server, zygote, utterance
    os.kill(caller.pid, signal.SIGKILL)
    caller.wait()
    _assert_all_gone(family)
