"""The benchmark's taxonomy, in one place: the labels of its items, its scenario categories
and the harm types a request sounds like (pseudo_harmful) or is (harmful_contrast)."""

from __future__ import annotations

from typing import Literal

PSEUDO_HARMFUL, HARMFUL_CONTRAST, BENIGN_CONTROL = "pseudo_harmful", "harmful_contrast", "benign_control"
LABELS = (PSEUDO_HARMFUL, HARMFUL_CONTRAST, BENIGN_CONTROL)
Label = Literal["pseudo_harmful", "harmful_contrast", "benign_control"]  # = LABELS, as a type

# the kind of acoustic context that turns harmful-sounding speech benign (docs/DESIGN.md)
CATEGORIES = (
    "media_fiction", "games_sports", "work_trades",
    "performance_arts", "home_everyday", "learning_events",
)

# What kind of harm a request sounds like (pseudo_harmful) or is (harmful_contrast); benign
# controls carry "none". Reported by `templates stats` and on the dataset card.
HARM_TYPES = (
    "violence", "weapons_explosives", "poison_drugs", "theft_fraud", "cyber", "self_harm",
    "privacy_surveillance", "deception", "harassment", "none",
)
