#!/usr/bin/env python3
"""Converts the JSONata conformance draft (/work/drafts/jsonata.json by default) into the
runner's format (tests/conformance/README.md), without changing any expected value:
create_error.message_contains becomes a list of its one string, and assigned_variables
({"State": {"var": "JSON text"}}, or a list of such objects) becomes "assigned":
{"by_state": ...} with each JSON text parsed. Names listed in the pending file stay there (with
their deviation) and are left out of the area file."""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AREA = os.path.join(ROOT, "tests", "conformance", "jsonata.json")
PENDING = os.path.join(ROOT, "tests", "conformance", "pending", "jsonata.json")


def convert_case(case):
    case = json.loads(json.dumps(case))
    expect = case["expect"]
    refusal = expect.get("create_error")
    if refusal and isinstance(refusal.get("message_contains"), str):
        refusal["message_contains"] = [refusal["message_contains"]]
    if "assigned_variables" in expect:
        by_state = {}
        for state, variables in expect.pop("assigned_variables").items():
            parse = lambda texts: {k: json.loads(v) for k, v in texts.items()}
            by_state[state] = [parse(v) for v in variables] if isinstance(variables, list) else parse(variables)
        expect["assigned"] = {"by_state": by_state}
    return case


def main():
    draft_path = sys.argv[1] if len(sys.argv) > 1 else "/work/drafts/jsonata.json"
    with open(draft_path) as f:
        draft = json.load(f)
    pending = {"cases": []}
    if os.path.exists(PENDING):
        with open(PENDING) as f:
            pending = json.load(f)
    pending_names = {c["name"] for c in pending["cases"]}
    cases = [convert_case(c) for c in draft["cases"]]
    area = {k: v for k, v in draft.items() if k not in ("cases", "format_additions")}
    area["description"] = area["description"].replace(
        " A draft kept outside the repository until Wyvern implements JSONata.", "")
    area["cases"] = [c for c in cases if c["name"] not in pending_names]
    with open(AREA, "w") as f:
        json.dump(area, f, indent=2, ensure_ascii=False)
        f.write("\n")
    # Pending cases take the draft's current expectations, keeping their deviation.
    by_name = {c["name"]: c for c in cases}
    for i, c in enumerate(pending["cases"]):
        fresh = dict(by_name[c["name"]])
        fresh["deviation"] = c["deviation"]
        pending["cases"][i] = fresh
    if pending["cases"]:
        with open(PENDING, "w") as f:
            json.dump(pending, f, indent=2, ensure_ascii=False)
            f.write("\n")
    print("%d cases, %d pending" % (len(area["cases"]), len(pending["cases"])))


if __name__ == "__main__":
    main()
