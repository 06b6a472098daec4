"""checkName and checkAddress: the lecture's two validation functions, run by Wyvern as a
local command. Both names are bound to this one script (see ../wyvern.json) because the
lecture's ARNs are crossed ("Check Name" calls checkAddress and "Check Address" calls
checkName); the event's "command" field, not the function name, says which check to make.

Event on stdin:  {"command": "CHECK_NAME", "data": {"name": "..."}}
                 {"command": "CHECK_ADDRESS", "data": {"address": "..."}}
Answer on stdout: {"name": ..., "valid": true|false} or {"address": ..., "valid": true|false}
A function error is Lambda's shape, {"errorType": ..., "errorMessage": ...}:
  an empty address raises KnownError (what the retry-catch machine retries, then catches).
"""
import json
import sys


def fail(error_type, message):
    print(json.dumps({"errorType": error_type, "errorMessage": message}))
    sys.exit(0)


event = json.load(sys.stdin)
command = event.get("command")
data = event.get("data") or {}

if command == "CHECK_NAME":
    name = data.get("name")
    # A name is valid when it is non-empty text without digits.
    valid = isinstance(name, str) and name.strip() != "" and not any(c.isdigit() for c in name)
    print(json.dumps({"name": name, "valid": valid}))
elif command == "CHECK_ADDRESS":
    address = data.get("address")
    if not isinstance(address, str) or address.strip() == "":
        fail("KnownError", "There is no address to check")
    # An address is valid when it has a house number.
    valid = any(c.isdigit() for c in address)
    print(json.dumps({"address": address, "valid": valid}))
else:
    fail("UnknownCommand", "Unknown command: %r" % (command,))
