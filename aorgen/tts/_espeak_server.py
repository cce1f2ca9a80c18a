"""A tiny espeak-ng server, run as a script (no aorgen or numpy imports, so it stays small).

espeak-ng keeps state between utterances (jitter, flutter and echo buffers) that no API
call resets, and even selecting a voice depends on the voice selected before it. So every
utterance is synthesised in a process whose history is exactly: initialise, select this
voice. The server forks one such process per voice on first use (a "zygote", which loads
the voice once), and the zygote forks a child per utterance: the same request always gives
the same samples, whatever came before, without reloading the voice every time.

Protocol on stdin/stdout: a request is one JSON line {voice, rate, pitch, range, text};
the answer is a 4-byte little-endian status, a 4-byte length, then that many bytes of
int16 samples. Status -2: unknown voice. Requests are answered one at a time, in order.
"""

import ctypes
import gc
import json
import os
import struct
import sys
import threading
import time

AUDIO_OUTPUT_SYNCHRONOUS, CHARS_UTF8, POS_CHARACTER = 2, 1, 1
RATE, VOLUME, PITCH, RANGE = 1, 2, 3, 4
PR_SET_PDEATHSIG, SIGKILL = 1, 9
CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


def die_with(parent: int, libc) -> None:
    """SIGKILL this process when its parent dies (Linux), and exit now if it already has."""
    if sys.platform.startswith("linux"):
        libc.prctl(PR_SET_PDEATHSIG, SIGKILL)
    if os.getppid() != parent:
        os._exit(0)


def watch_parent(parent: int) -> None:
    """Fallback where PR_SET_PDEATHSIG is missing: exit once reparented."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main(library: str, data: str, parent: int | None = None) -> None:
    lib = ctypes.CDLL(library)
    libc = ctypes.CDLL(None)
    if parent is not None:
        die_with(parent, libc)
        watch_parent(parent)
    chunks = []

    def collect(wav, numsamples, events):
        if numsamples > 0:
            chunks.append(ctypes.string_at(wav, numsamples * 2))
        return 0

    callback = CALLBACK(collect)
    rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data.encode(), 0)
    lib.espeak_SetSynthCallback(callback)
    out = sys.stdout.buffer
    out.write(struct.pack("<i", rate))
    out.flush()
    gc.disable()  # children then copy fewer pages

    def speak(request: dict, voice_found: bool) -> None:
        """Runs in a fresh child of a zygote: synthesise, answer, exit."""
        status = -2
        try:
            die_with(zygote_pid, libc)  # a long utterance must not outlive its zygote
            libc.srand(0)  # breath noise uses libc's rand()
            lib.espeak_ng_SetRandSeed(0)
            if voice_found:
                lib.espeak_SetParameter(RATE, request["rate"], 0)
                lib.espeak_SetParameter(PITCH, request["pitch"], 0)
                lib.espeak_SetParameter(RANGE, request["range"], 0)
                lib.espeak_SetParameter(VOLUME, 100, 0)
                text = request["text"].encode("utf-8") + b"\0"
                status = lib.espeak_Synth(text, len(text), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
                lib.espeak_Synchronize()
            samples = b"".join(chunks)
            out.write(struct.pack("<ii", status, len(samples)) + samples)
            out.flush()
        finally:
            os._exit(0)

    def zygote(voice: str, requests: int, inherited: list[int]) -> None:
        """Select ``voice`` once, then fork a child per request read from the pipe."""
        nonlocal zygote_pid
        try:
            die_with(server_pid, libc)
            zygote_pid = os.getpid()
            for fd in inherited:  # other zygotes' pipes: they must see EOF when the server exits
                os.close(fd)
            voice_found = lib.espeak_SetVoiceByName(voice.encode()) == 0
            gc.freeze()
            for line in os.fdopen(requests, "rb"):
                pid = os.fork()
                if pid == 0:
                    speak(json.loads(line), voice_found)
                os.waitpid(pid, 0)
        finally:
            os._exit(0)

    server_pid, zygote_pid = os.getpid(), 0
    zygotes: dict[str, int] = {}  # voice -> write end of its request pipe
    for line in sys.stdin.buffer:  # ends when the engine's pipe closes: the zygotes then see EOF
        voice = json.loads(line)["voice"]
        if voice not in zygotes:
            read_end, write_end = os.pipe()
            if os.fork() == 0:
                os.close(write_end)
                zygote(voice, read_end, list(zygotes.values()))
            os.close(read_end)
            zygotes[voice] = write_end
        os.write(zygotes[voice], line)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else None)
