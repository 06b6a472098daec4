"""validate-dragon: a Lambda function run by Wyvern as a local command. The event arrives as
JSON on stdin; the answer goes to stdout. A dragon already in the table is refused with the
error the state machine's Catch names (Lambda's shape for a function error: errorType and
errorMessage)."""
import json
import sys

import table

event = json.load(sys.stdin)
name = event.get("dragon_name_str")
if any(d.get("dragon_name_str") == name for d in table.read()):
    print(json.dumps({"errorType": "DragonValidationException", "errorMessage": "Duplicate dragon reported"}))
else:
    print(json.dumps("Dragon Validated"))
