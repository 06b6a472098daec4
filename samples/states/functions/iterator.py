"""iterator: counts the passes of the loop and wait machines (AWS's "iterate a loop with a
Lambda function" pattern), run by Wyvern as a local command.

Event on stdin:  the machine's $.iterator, e.g. {"count": 3} or {"count": 3, "index": 1, ...}
Answer on stdout: {"count": 3, "index": 2, "continue": true}
"index" is how many passes are done; "continue" is true while index < count, and is what the
"Loop if not done" Choice reads at $.iterator.continue.
"""
import json
import sys

event = json.load(sys.stdin)
count = event.get("count", 1)
index = event.get("index", 0) + 1
print(json.dumps({"count": count, "index": index, "continue": index < count}))
