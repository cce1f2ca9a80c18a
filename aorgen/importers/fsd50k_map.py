"""The curated FSD50K map: which of FSD50K's 200 class labels may carry which aorgen scene
tag, and which clip licences may enter (``aorgen soundbank import fsd50k:PATH --curated``).

Reviewed label by label against the issue-15 scene review. Rules:

- Only CC0 and CC BY clips (commercial use, no share-alike): the NC and Sampling+ clips of
  FSD50K stay out, so a bank imported with this map keeps the release permissive.
- Only labels whose sound *makes a request benign* in the scene: gunshots, explosions, booms,
  screams, shouts, crying, shattering, slams and growls are mapped to nothing (a recorded
  gunshot does not make "shoot him" mean a basketball shot; it supports the harmful reading).
- Only leaf-like labels: FSD50K rows repeat every ancestor (``Bark,Dog,Domestic_animals...,
  Animal``), so broad parents (Music, Animal, Vehicle, Human_voice, Domestic_sounds...) are not
  mapped; the clip takes the union of its mapped labels' tags.
- Speech labels are not mapped either (the planner skips clips that contain speech).

The map replaces the general default of :mod:`aorgen.importers.tags`; a user's ``--tags-map``
is merged over it as usual.
"""

from __future__ import annotations

LICENSES = ("CC0-1.0", "CC-BY-3.0", "CC-BY-4.0")

_KITCHEN = ("home_cooking", "restaurant_kitchen")
_PESTS = ("pest_at_home", "pest_control")
_CROWD = ("soccer_match", "basketball_game", "boxing_match", "esports_tournament")
_AUDIENCE = ("comedy_club", "magic_show", "poetry_slam", "theatre_rehearsal", "karaoke_bar")
_ENGINE = ("garage_car_repair", "auto_workshop")
_TOOLS = ("diy_workshop", "construction_site")
_ORCHESTRA = ("orchestra_rehearsal", "theatre_rehearsal")
_DRUMS = ("drum_practice", "rock_concert")
_HALL = ("museum_tour", "military_museum", "history_lecture")
_CLASS = ("classroom", "history_lecture", "first_aid_training")
_OFFICE = ("server_room", "esports_tournament")

# FSD50K label (as in its ground-truth CSVs) -> scene tags; () = reviewed and left out.
TAGS: dict[str, tuple[str, ...]] = {
    # crowds and audiences
    "Applause": _AUDIENCE + ("rock_concert", "history_lecture"),
    "Clapping": _AUDIENCE + ("martial_arts_dojo",),
    "Cheering": _CROWD + ("rock_concert", "new_year_party", "birthday_party"),
    "Crowd": _CROWD,
    "Laughter": ("comedy_club", "poker_night", "board_game_night"),
    "Giggle": ("comedy_club", "kids_playing"),
    "Chuckle_and_chortle": ("comedy_club", "poker_night"),
    "Whispering": (),  # speech
    "Chatter": (),  # babble can hold intelligible words
    # sports, games and training
    "Gong": ("martial_arts_dojo", "boxing_match"),
    "Tick-tock": ("chess_tournament", "radio_drama"),
    "Tick": ("chess_tournament",),
    "Clock": ("chess_tournament", "classroom"),
    "Thump_and_thud": ("martial_arts_dojo",),
    "Skateboard": ("kids_playing",),
    "Bicycle_bell": ("kids_playing",),
    "Coin_(dropping)": ("poker_night", "arcade_game"),
    "Chink_and_clink": ("poker_night", "new_year_party"),
    "Race_car_and_auto_racing": ("action_movie",),
    # halls, lectures, classes
    "Walk_and_footsteps": _HALL + ("theatre_rehearsal", "hospital_ward"),
    "Writing": _CLASS,
    "Scissors": ("classroom",),
    "Crumpling_and_crinkling": ("classroom", "first_aid_training"),
    "Tearing": ("first_aid_training",),
    "Packing_tape_and_duct_tape": ("first_aid_training", "house_cleaning"),
    "Zipper_(clothing)": ("first_aid_training",),
    "Typewriter": ("tv_crime_drama", "radio_drama"),
    "Printer": ("server_room", "classroom"),
    "Computer_keyboard": _OFFICE,
    "Typing": _OFFICE,
    "Mechanical_fan": ("server_room", "hospital_ward"),
    "Telephone": ("tv_crime_drama", "hospital_ward"),
    "Ringtone": ("tv_crime_drama",),
    "Camera": ("film_set",),
    "Door": ("hospital_ward", "horror_movie"),
    "Sliding_door": ("hospital_ward",),
    "Squeak": ("horror_movie", "basketball_game"),
    "Cough": ("hospital_ward", "first_aid_training"),
    "Sneeze": ("hospital_ward",),
    "Breathing": ("first_aid_training",),
    # alarms and bells
    "Alarm": ("fire_drill",),
    "Siren": ("fire_drill", "tv_crime_drama"),
    "Bell": ("fire_drill", "classroom"),
    "Doorbell": ("birthday_party",),
    "Church_bell": (),
    # music and instruments
    "Piano": ("theatre_rehearsal", "karaoke_bar"),
    "Bowed_string_instrument": _ORCHESTRA,
    "Brass_instrument": _ORCHESTRA,
    "Trumpet": _ORCHESTRA,
    "Wind_instrument_and_woodwind_instrument": _ORCHESTRA,
    "Harp": _ORCHESTRA,
    "Organ": ("horror_movie",),
    "Drum_kit": _DRUMS,
    "Snare_drum": _DRUMS,
    "Bass_drum": _DRUMS,
    "Hi-hat": _DRUMS,
    "Crash_cymbal": _DRUMS,
    "Electric_guitar": ("rock_concert",),
    "Bass_guitar": ("rock_concert",),
    "Scratching_(performance_technique)": ("rap_battle",),
    "Glockenspiel": ("magic_show",),
    "Wind_chime": ("magic_show", "garden"),
    # kitchens and homes
    "Frying_(food)": _KITCHEN,
    "Dishes_and_pots_and_pans": _KITCHEN,
    "Cutlery_and_silverware": _KITCHEN,
    "Boiling": ("home_cooking", "chemistry_lab", "science_demo"),
    "Microwave_oven": ("home_cooking",),
    "Pour": ("home_cooking", "chemistry_lab"),
    "Fill_(with_liquid)": ("chemistry_lab", "science_demo"),
    "Gurgling": ("chemistry_lab", "bathroom_plumbing"),
    "Water_tap_and_faucet": ("bathroom_plumbing",),
    "Sink_(filling_or_washing)": ("bathroom_plumbing", "house_cleaning"),
    "Bathtub_(filling_or_washing)": ("bathroom_plumbing",),
    "Toilet_flush": ("bathroom_plumbing",),
    "Drip": ("bathroom_plumbing",),
    "Cupboard_open_or_close": ("home_cooking",),
    "Drawer_open_or_close": ("home_cooking", "diy_workshop"),
    "Bark": ("dog_at_home",),
    "Purr": ("pest_at_home",),
    "Meow": ("pest_at_home",),
    "Fire": ("backyard_bbq",),
    "Crackle": ("backyard_bbq",),
    "Fireworks": ("fireworks_show", "new_year_party"),
    # work and trades
    "Drill": _TOOLS + ("demolition_site",),
    "Hammer": _TOOLS,
    "Sawing": _TOOLS,
    "Power_tool": _TOOLS,
    "Tools": ("diy_workshop", "auto_workshop"),
    "Ratchet_and_pawl": _ENGINE,
    "Idling": _ENGINE,
    "Engine_starting": _ENGINE,
    "Accelerating_and_revving_and_vroom": _ENGINE + ("action_movie",),
    "Rail_transport": ("railway_yard",),
    "Train": ("railway_yard",),
    "Chicken_and_rooster": ("farm",),
    "Fowl": ("farm",),
    "Livestock_and_farm_animals_and_working_animals": ("farm",),
    "Insect": _PESTS,
    "Cricket": ("garden", "paintball_field"),
    "Bird_vocalization_and_bird_call_and_bird_song": ("garden", "paintball_field", "archery_range"),
    "Chirp_and_tweet": ("garden", "paintball_field"),
    "Splash_and_splatter": ("paintball_field",),
    # reviewed and left out: they support the harmful reading or name no scene
    "Gunshot_and_gunfire": (), "Explosion": (), "Boom": (), "Screaming": (), "Shout": (), "Yell": (),
    "Crying_and_sobbing": (), "Shatter": (), "Slam": (), "Growling": (), "Crushing": (), "Knock": (),
    "Speech": (), "Male_speech_and_man_speaking": (), "Female_speech_and_woman_speaking": (),
    "Child_speech_and_kid_speaking": (), "Conversation": (), "Speech_synthesizer": (), "Singing": (),
    "Male_singing": (), "Female_singing": (), "Rain": (), "Thunderstorm": (), "Traffic_noise_and_roadway_noise": (),
}
