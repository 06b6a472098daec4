"""The dragons table: a JSON array of dragon records (the course kept it in S3; a local file
teaches the same thing). It lives in $DRAGONS_TABLE, or in wyvern-dragons.json in the temp
directory, and starts as a copy of data/dragons.json: the sample never writes its own seed.
Shared by the two functions."""
import json
import os
import shutil
import tempfile

FIELDS = ["description_str", "dragon_name_str", "family_str", "location_city_str",
          "location_country_str", "location_neighborhood_str", "location_state_str"]
SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "dragons.json")


def path():
    table = os.environ.get("DRAGONS_TABLE") or os.path.join(tempfile.gettempdir(), "wyvern-dragons.json")
    if not os.path.exists(table):
        shutil.copyfile(SEED, table)
    return table


def read():
    with open(path()) as f:
        return json.load(f)


def write(dragons):
    with open(path(), "w") as f:
        json.dump(dragons, f, indent=2)
        f.write("\n")
