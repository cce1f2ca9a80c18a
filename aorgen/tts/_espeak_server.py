"""A tiny espeak-ng server, run as a script (no aorgen or numpy imports, so it stays small).

espeak-ng keeps state between utterances (jitter, flutter and echo buffers) that no API
call resets, so every request is synthesised in a forked child of this pristine,
initialised process: the same request always gives the same samples. Forking a process
this small costs well under a millisecond.

Protocol on stdin/stdout: a request is one JSON line {voice, rate, pitch, range, text};
the answer is a 4-byte little-endian status, a 4-byte length, then that many bytes of
int16 samples. Status -2: unknown voice.
"""

import ctypes
import json
import os
import struct
import sys

AUDIO_OUTPUT_SYNCHRONOUS, CHARS_UTF8, POS_CHARACTER = 2, 1, 1
RATE, VOLUME, PITCH, RANGE = 1, 2, 3, 4
CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


def main(library: str, data: str) -> None:
    lib = ctypes.CDLL(library)
    libc = ctypes.CDLL(None)
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
    for line in sys.stdin.buffer:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            status = -2
            try:
                libc.srand(0)  # breath noise uses libc's rand()
                lib.espeak_ng_SetRandSeed(0)
                if lib.espeak_SetVoiceByName(request["voice"].encode()) == 0:
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
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
