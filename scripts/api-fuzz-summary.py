"""Sums up the schemathesis runs of scripts/api-fuzz from their NDJSON reports:
operations tested, requests sent, answers per status, and findings (failed
checks, each failing operation and check once), in one line per figure."""

import collections
import json
import pathlib
import sys


def main(report_dir: str) -> None:
    operations = set()
    requests = 0
    statuses = collections.Counter()
    findings = collections.Counter()
    for path in sorted(pathlib.Path(report_dir).glob("*/*.ndjson")):
        for line in path.open(encoding="utf-8"):
            event = json.loads(line).get("ScenarioFinished")
            if not event:
                continue
            recorder = event["recorder"]
            # Stateful scenarios carry their own label; their requests still count.
            if recorder["label"].split(" ")[0].isupper():
                operations.add(recorder["label"])
            for interaction in recorder.get("interactions", {}).values():
                requests += 1
                response = interaction.get("response") or {}
                statuses[response.get("status_code", "no answer")] += 1
            for checks in recorder.get("checks", {}).values():
                for check in checks:
                    if check["status"] == "failure":
                        findings[(recorder["label"], check["name"])] += 1
    by_status = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items(), key=lambda s: str(s[0])))
    print(f"api-fuzz: {len(operations)} operations, {requests} requests, {len(findings)} findings")
    print(f"api-fuzz: answers by status: {by_status}")
    for (label, check), n in sorted(findings.items()):
        print(f"api-fuzz: finding: {label}: {check} ({n} failed checks)")


if __name__ == "__main__":
    main(sys.argv[1])
