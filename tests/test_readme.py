"""The README's ObsCore table is the one the code generates."""

from pathlib import Path

from ctanb.services.obscore import markdown_table


def test_readme_obscore_table_matches_the_code():
    text = (Path(__file__).parent.parent / "README.md").read_text()
    start = text.index("<!-- obscore-table -->\n") + len("<!-- obscore-table -->\n")
    end = text.index("<!-- /obscore-table -->")
    assert text[start:end] == markdown_table(), "regenerate: python -m ctanb.services.obscore"
