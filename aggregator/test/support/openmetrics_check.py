#!/usr/bin/python3
"""Parses OpenMetrics bodies with prometheus_client's strict OpenMetrics parser.

Reads a JSON array of base64-encoded bodies on stdin and writes a JSON array with one result per
body: {"ok": true, "families": [...], "samples": [...]} or {"ok": false, "error": "..."}. Values are
written as Python float reprs ("nan", "inf", "1.5") so that NaN and infinities survive JSON.
Exits with status 3 when prometheus_client cannot be imported.

Run it with Debian's /usr/bin/python3, which python3-prometheus-client installs the module for.
"""
import base64
import json
import sys

try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
except ImportError as error:  # pragma: no cover - reported by the caller
    sys.stderr.write(f"cannot import prometheus_client.openmetrics.parser: {error}\n")
    sys.exit(3)


def check(encoded):
    try:
        text = base64.b64decode(encoded).decode("utf-8")
    except UnicodeDecodeError as error:
        return {"ok": False, "error": f"body is not UTF-8: {error}"}
    families = []
    samples = []
    try:
        # A generator: consume every family so that every error surfaces.
        for family in text_string_to_metric_families(text):
            families.append(
                {"name": family.name, "type": family.type, "unit": family.unit, "help": family.documentation}
            )
            for sample in family.samples:
                samples.append(
                    {
                        "name": sample.name,
                        "labels": sample.labels,
                        "value": repr(float(sample.value)),
                        "exemplar": sample.exemplar is not None,
                    }
                )
    except Exception as error:  # noqa: BLE001 - any parser error is the answer
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    return {"ok": True, "families": families, "samples": samples}


def main():
    bodies = json.load(sys.stdin)
    json.dump([check(body) for body in bodies], sys.stdout)


if __name__ == "__main__":
    main()
