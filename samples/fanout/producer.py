"""Puts dragon sightings on the "sightings" event bus, one PutEvents call per sighting.

    WYVERN_ENDPOINT=http://127.0.0.1:4566 python3 producer.py [--count N] [--bus NAME]

The producer knows only the bus. Which topics and queues hear about a sighting, and who reads
them, is decided by the bus's rules and the topics' subscriptions (wyvern.json), not here.
"""
import argparse
import json
import os
import sys

import boto3

# Sightings alternate: odd seq numbers are red dragons, even ones are not.
RED = [("Smaug", "Erebor"), ("Y Ddraig Goch", "Dinas Emrys"), ("Vermithrax", "Urland")]
OTHER = [("Glaurung", "gold", "Nargothrond"), ("Saphira", "blue", "Carvahall"),
         ("Toothless", "black", "Berk"), ("Norbert", "green", "Hagrid's hut")]


def sighting(seq):
    if seq % 2 == 1:
        dragon, place = RED[(seq // 2) % len(RED)]
        colour = "red"
    else:
        dragon, colour, place = OTHER[(seq // 2 - 1) % len(OTHER)]
    return {"dragon": dragon, "colour": colour, "place": place, "seq": seq}


def client(service):
    # Wyvern takes any credentials; set them so boto3 does not go looking for real ones.
    return boto3.client(service,
                        endpoint_url=os.environ.get("WYVERN_ENDPOINT", "http://localhost:4566"),
                        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
                        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10, help="how many sightings (default 10)")
    parser.add_argument("--bus", default="sightings", help="the event bus (default sightings)")
    args = parser.parse_args()

    events = client("events")
    for seq in range(1, args.count + 1):
        detail = sighting(seq)
        # One call per sighting, in seq order: each call returns once the bus has accepted the
        # event, so the bus receives them in the order they were seen.
        answer = events.put_events(Entries=[{
            "EventBusName": args.bus,
            "Source": "dragons",
            "DetailType": "Sighting",
            "Detail": json.dumps(detail),
        }])
        if answer["FailedEntryCount"]:
            entry = answer["Entries"][0]
            sys.exit("producer: the bus refused sighting %d: %s: %s"
                     % (seq, entry.get("ErrorCode"), entry.get("ErrorMessage")))
        print("put %s  event %s" % (json.dumps(detail), answer["Entries"][0]["EventId"]))


if __name__ == "__main__":
    main()
