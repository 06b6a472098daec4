"""my-function: the task-simple machine's one Lambda function, run by Wyvern as a local command.
It greets whoever the event names: {"name": "Wyvern"} -> {"message": "Hello, Wyvern!"}."""
import json
import sys

event = json.load(sys.stdin)
name = event.get("name", "World") if isinstance(event, dict) else "World"
print(json.dumps({"message": "Hello, %s!" % name}))
