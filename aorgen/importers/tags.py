"""Dataset class labels -> aorgen scene tags.

Labels are compared in a normal form (lower case, runs of other characters as one ``_``), so
ESC-50's ``dog``, UrbanSound8K's ``dog_bark`` and FSD50K's ``Bark`` or ``Frying_(food)``
(-> ``frying_food``) all key the same table. A clip takes the union of its labels' tags and
is skipped when none of its labels is mapped.

The default leaves out sounds that are not a benign context on their own (real gunshots,
explosions, screams, rain, traffic): a recorded gunshot does not make "shoot him" mean a
basketball shot. A user map (YAML, label -> list of tags) is merged over the default; map a
label to ``[]`` to drop it.
"""

from __future__ import annotations

import re
from pathlib import Path

from aorgen.errors import AorgenError
from aorgen.common.yamlio import read_yaml

_KITCHEN = ("home_cooking", "restaurant_kitchen")
_PESTS = ("pest_at_home", "pest_control")
_CROWD = ("soccer_match", "basketball_game", "boxing_match")
_AUDIENCE = ("comedy_club", "magic_show", "poetry_slam", "theatre_rehearsal")
_ENGINE = ("garage_car_repair", "auto_workshop")
_TOOLS = ("diy_workshop", "construction_site")
_ORCHESTRA = ("orchestra_rehearsal",)

DEFAULT_TAGS: dict[str, tuple[str, ...]] = {
    # ESC-50 categories
    "dog": ("dog_at_home",), "rooster": ("farm",), "pig": ("farm",), "cow": ("farm",),
    "hen": ("farm",), "sheep": ("farm",), "crow": ("farm", "garden"), "frog": ("garden",),
    "insects": _PESTS, "crickets": ("garden",), "chirping_birds": ("garden",),
    "crackling_fire": ("backyard_bbq",), "water_drops": ("bathroom_plumbing",),
    "pouring_water": ("home_cooking",), "toilet_flush": ("bathroom_plumbing",),
    "clapping": _AUDIENCE, "laughing": ("comedy_club",), "coughing": ("hospital_ward",),
    "mouse_click": ("esports_tournament",), "keyboard_typing": ("server_room", "esports_tournament"),
    "door_wood_creaks": ("horror_movie",), "can_opening": ("home_cooking", "backyard_bbq"),
    "washing_machine": ("house_cleaning",), "vacuum_cleaner": ("house_cleaning",),
    "helicopter": ("war_movie", "action_movie"), "chainsaw": ("garden", "diy_workshop"),
    "siren": ("tv_crime_drama", "fire_drill"), "engine": _ENGINE, "train": ("railway_yard",),
    "fireworks": ("fireworks_show", "new_year_party"), "hand_saw": _TOOLS,
    # UrbanSound8K classes
    "air_conditioner": ("server_room",), "children_playing": ("kids_playing", "birthday_party"),
    "dog_bark": ("dog_at_home",), "drilling": _TOOLS, "engine_idling": _ENGINE,
    "jackhammer": ("construction_site", "demolition_site"),
    # FSD50K / AudioSet class names
    "bark": ("dog_at_home",), "chicken_and_rooster": ("farm",), "fowl": ("farm",),
    "livestock_and_farm_animals_and_working_animals": ("farm",), "clip_clop": ("farm",),
    "insect": _PESTS, "fly_and_housefly": _PESTS, "mosquito": _PESTS, "cricket": ("garden",),
    "bird_vocalization_and_bird_call_and_bird_song": ("garden",), "chirp_and_tweet": ("garden",),
    "applause": _AUDIENCE + ("rock_concert",), "cheering": _CROWD, "crowd": _CROWD,
    "laughter": ("comedy_club",), "giggle": ("comedy_club",), "chuckle_and_chortle": ("comedy_club",),
    "cough": ("hospital_ward",), "frying_food": _KITCHEN, "chopping_food": _KITCHEN,
    "dishes_and_pots_and_pans": _KITCHEN, "cutlery_and_silverware": _KITCHEN,
    "boiling": ("home_cooking",), "microwave_oven": ("home_cooking",),
    "sizzle": ("home_cooking", "backyard_bbq"), "fire": ("backyard_bbq",),
    "water_tap_and_faucet": ("bathroom_plumbing",), "sink_filling_or_washing": ("bathroom_plumbing",),
    "bathtub_filling_or_washing": ("bathroom_plumbing",), "drip": ("bathroom_plumbing",),
    "drill": _TOOLS, "hammer": _TOOLS, "sawing": _TOOLS, "power_tool": _TOOLS, "tools": ("diy_workshop",),
    "ratchet_and_pawl": _ENGINE, "idling": _ENGINE, "engine_starting": _ENGINE,
    "accelerating_and_revving_and_vroom": _ENGINE,
    "rail_transport": ("railway_yard",), "railroad_car_and_train_wagon": ("railway_yard",),
    "police_car_siren": ("tv_crime_drama",), "fire_alarm": ("fire_drill",),
    "smoke_detector_and_smoke_alarm": ("fire_drill",), "firecracker": ("fireworks_show", "new_year_party"),
    "computer_keyboard": ("server_room", "esports_tournament"), "typing": ("server_room", "esports_tournament"),
    "mechanical_fan": ("server_room",), "camera": ("film_set",), "creak": ("horror_movie",),
    "drum_kit": ("drum_practice",), "drum": ("drum_practice",), "snare_drum": ("drum_practice",),
    "bass_drum": ("drum_practice",), "hi_hat": ("drum_practice",), "crash_cymbal": ("drum_practice",),
    "electric_guitar": ("rock_concert",), "bass_guitar": ("rock_concert",),
    "bowed_string_instrument": _ORCHESTRA, "violin_and_fiddle": _ORCHESTRA, "trumpet": _ORCHESTRA,
    "brass_instrument": _ORCHESTRA, "wind_instrument_and_woodwind_instrument": _ORCHESTRA,
    "writing": ("classroom",),
}

# FSD50K/AudioSet labels that mean the clip holds intelligible speech (the planner skips
# such clips: a second voice would compete with the query).
SPEECH_LABELS = frozenset({
    "speech", "male_speech_and_man_speaking", "female_speech_and_woman_speaking",
    "child_speech_and_kid_speaking", "conversation", "speech_synthesizer", "whispering",
    "singing", "male_singing", "female_singing",
})


def normalise_label(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def load_tags_map(path: Path | None, base: dict[str, tuple[str, ...]] | None = None) -> dict[str, tuple[str, ...]]:
    """The default map (or ``base``, e.g. a curated one) with a user's YAML file (label -> list
    of scene tags) merged over it."""
    merged = DEFAULT_TAGS.copy() if base is None else {normalise_label(k): tuple(v) for k, v in base.items()}
    if path is None:
        return merged
    data = read_yaml(Path(path))
    if not isinstance(data, dict):
        raise AorgenError("expected a mapping of label -> list of scene tags", file=path)
    for label, tags in data.items():
        if tags is None:
            tags = []
        if isinstance(tags, str):
            tags = [tags]
        if not isinstance(tags, list) or not all(isinstance(t, str) and re.fullmatch(r"[a-z0-9_]+", t) for t in tags):
            raise AorgenError("expected a list of scene tags (lower-case ids)", file=path, item=str(label))
        merged[normalise_label(str(label))] = tuple(tags)
    return merged


def tags_for(labels: tuple[str, ...], tags_map: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for label in labels for t in tags_map.get(normalise_label(label), ())))
