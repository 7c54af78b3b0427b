"""Validate hub_config/z2jh-values.yaml against a zero-to-jupyterhub chart, as ``helm lint`` does.

The chart is not on the package registries this project may reach at run time, so CI
cannot run this check; run it by hand with a checkout of the chart (its ``jupyterhub/``
folder, holding values.yaml and values.schema.yaml or values.schema.json):

    .venv/bin/python scripts/check_z2jh_values.py PATH/TO/zero-to-jupyterhub-k8s/jupyterhub

It merges the chart's defaults with our values, validates the result against the chart's
schema, and checks that the validator does catch a misspelt key.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import yaml

VALUES = Path(__file__).resolve().parents[1] / "hub_config" / "z2jh-values.yaml"


def merge(base: dict, override: dict) -> dict:
    """Merge ``override`` into ``base`` as Helm merges values files."""
    merged = dict(base)
    for key, value in override.items():
        both = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = merge(merged[key], value) if both else value
    return merged


def main(chart: Path) -> int:
    """Validate the values against ``chart``; return 0 when they pass."""
    schema_path = chart / "values.schema.json"
    if schema_path.exists():
        schema = json.loads(schema_path.read_text())
    else:
        schema = yaml.safe_load((chart / "values.schema.yaml").read_text())
    defaults = yaml.safe_load((chart / "values.yaml").read_text())
    validator = jsonschema.Draft7Validator(schema)
    values = yaml.safe_load(VALUES.read_text())
    merged = merge(defaults, values)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(merged)]
    typo = merge(defaults, {"singleuser": {"defaultURL": "/lab"}})
    if not list(validator.iter_errors(typo)):
        print("the schema did not catch a misspelt key: is this the chart's schema?")
        return 2
    for error in errors:
        print(error)
    print(f"{VALUES.name}: {len(errors)} schema errors against {chart}")
    return 1 if errors else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
