"""The dragons table: a JSON array of dragon records in the file $DRAGONS_TABLE (the course kept
it in S3; a local file teaches the same thing). Shared by the two functions."""
import json
import os

FIELDS = ["description_str", "dragon_name_str", "family_str", "location_city_str",
          "location_country_str", "location_neighborhood_str", "location_state_str"]


def path():
    return os.environ.get("DRAGONS_TABLE") or os.path.join(os.path.dirname(__file__), "..", "data", "dragons.json")


def read():
    with open(path()) as f:
        return json.load(f)


def write(dragons):
    with open(path(), "w") as f:
        json.dump(dragons, f, indent=2)
        f.write("\n")
