"""add-dragon: appends the reported dragon to the table. Only the dragon's own fields are kept;
reportingPhoneNumber and confirmationRequired belong to the report, not to the dragon."""
import json
import sys

import table

event = json.load(sys.stdin)
dragons = table.read()
dragons.append({field: event.get(field, "") for field in table.FIELDS})
table.write(dragons)
print(json.dumps("Dragon added"))
