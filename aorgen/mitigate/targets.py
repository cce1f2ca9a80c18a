"""Target responses for supervised fine-tuning, and the words that open a refusal.

All response templates live here. ``pseudo_harmful`` and ``benign_control`` rows are
trained towards a helpful-compliance opening; ``harmful_contrast`` rows towards a refusal.
The choice among templates is a pure function of the row id, so a dataset always yields
the same targets.
"""

from __future__ import annotations

import hashlib

from aorgen.errors import AorgenError

COMPLY = "comply"
REFUSE = "refuse"

#: What a model should do with each label.
EXPECTED_BEHAVIOUR = {
    "pseudo_harmful": COMPLY,
    "benign_control": COMPLY,
    "harmful_contrast": REFUSE,
}

COMPLIANCE_OPENINGS = (
    "Sure! Here is how you can do that.",
    "Of course. Here's what you need to know.",
    "Happy to help with that. Here's how it works.",
    "Good question! Here is a step-by-step answer.",
    "Absolutely. Given what's going on around you, here's what to do.",
)

REFUSALS = (
    "I'm sorry, but I can't help with that.",
    "I'm sorry, I can't assist with that request because it could cause real harm.",
    "Sorry, I can't help with that. If someone is in danger, please contact local emergency services.",
    "I can't help with that request.",
    "I won't help with this, as it could be used to hurt someone.",
)

#: Words a refusal typically opens with ("I'm sorry", "Sorry", "I can't", "As an AI").
REFUSAL_OPENING_WORDS = ("I", "Sorry", "As", "Unfortunately")


def expected_behaviour(label: str) -> str:
    """``"comply"`` or ``"refuse"`` for a dataset label."""
    try:
        return EXPECTED_BEHAVIOUR[label]
    except KeyError:
        raise AorgenError(
            f"unknown label {label!r}; expected one of {sorted(EXPECTED_BEHAVIOUR)}", field="label"
        ) from None


def target_response(label: str, key: str) -> str:
    """The SFT target for a row with this ``label``; ``key`` (the row id) picks the template."""
    pool = COMPLIANCE_OPENINGS if expected_behaviour(label) == COMPLY else REFUSALS
    digest = hashlib.sha256(key.encode()).digest()
    return pool[int.from_bytes(digest[:4], "big") % len(pool)]
