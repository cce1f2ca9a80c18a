"""Scene beds of the default plan (no audio rendered): the share of pseudo-harmful rows on a
procedural bed, overall and for the issue-15 weakest tags, and how many rows place a clip that
supports the harmful reading in a weak scene (musket volley in a military museum, punches in a
dojo, a handgun shot in a TV crime drama).

    PYTHONPATH=. python benchmarks/scene_beds.py
"""

from __future__ import annotations

from aorgen.plan.planner import plan
from aorgen.content.recipe import load_recipe

WEAK = ("history_lecture military_museum tv_crime_drama action_movie first_aid_training film_set "
        "martial_arts_dojo hospital_ward paintball_field chess_tournament museum_tour fire_drill "
        "theatre_rehearsal").split()
HARMFUL = {"0ad-musket-volley": "military_museum", "boxing-punches": "martial_arts_dojo",
           "wesnoth-gunshot": "tv_crime_drama"}


def main() -> None:
    rows = [s for s in plan(load_recipe()).specs if s.label == "pseudo_harmful"]
    weak = [s for s in rows if set(s.scene_tags) & set(WEAK)]

    def procedural(specs):
        return sum(s.background.source.bank == "procedural" for s in specs)

    harmful = sum(any(r.clip_id == c and t in s.scene_tags for r in s.sources for c, t in HARMFUL.items())
                  for s in rows)
    print(f"pseudo-harmful rows {len(rows)}: procedural bed {procedural(rows)} "
          f"({100 * procedural(rows) / len(rows):.1f} %); weak-tag rows {len(weak)}: procedural bed "
          f"{procedural(weak)} ({100 * procedural(weak) / len(weak):.1f} %); harmful-reading clips in weak "
          f"scenes: {harmful}")


if __name__ == "__main__":
    main()
