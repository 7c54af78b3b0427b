"""The widgets' products: the run record, figures picked by the product's class, the aliases."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from astropy import units as u
from astropy.table import Table

import ctanb.jobs
import ctanb.jobs.monitor
import ctanb.widgets
from ctanb.analysis.specs import CountMapSpec
from ctanb.jobs.results import RemoteLightCurve, RemoteSpectrum, TableResult
from ctanb.widgets.actions import Product
from ctanb.widgets.figures import figure_of
from ctanb.widgets.jobs import JobMonitor
from ctanb.widgets.products import AnalysisRun


def _table(**columns: object) -> Table:
    counts = {"n_on": [10.0, 12.0], "n_off": [20.0, 18.0], "alpha": [0.2, 0.2]}
    counts["excess"] = [6.0, 8.4]
    return Table({**counts, **columns})


def test_the_old_names_are_aliases():
    assert Product is AnalysisRun and ctanb.widgets.Product is AnalysisRun
    assert ctanb.jobs.JobMonitor is JobMonitor
    assert ctanb.jobs.monitor.JobMonitor is JobMonitor
    with pytest.raises(AttributeError):
        ctanb.jobs.NoSuchName  # noqa: B018


def test_a_run_knows_its_label_and_whether_it_is_a_sky_image():
    spectrum = RemoteSpectrum(_table(e_min=[1.0, 2.0] * u.TeV, e_max=[2.0, 4.0] * u.TeV), None)
    run = AnalysisRun("spectrum", ["23523"], spectrum)
    assert run.label == "Extract spectrum" and not run.is_sky_image
    assert AnalysisRun("count_map", ["23523"], spectrum, CountMapSpec()).is_sky_image


def test_remote_tables_are_drawn_by_their_class():
    spectrum = RemoteSpectrum(_table(e_min=[1.0, 2.0] * u.TeV, e_max=[2.0, 4.0] * u.TeV), None)
    assert spectrum.kind == "spectrum"
    assert spectrum.energy_edges.to_value(u.TeV).tolist() == [1.0, 2.0, 4.0]
    np.testing.assert_array_equal(spectrum.excess, [6.0, 8.4])
    assert "spectrum" in figure_of(spectrum).title.text
    curve = RemoteLightCurve(_table(time_min=[60000.0, 60001.0], time_max=[60001.0, 60002.0]), None)
    assert curve.kind == "lightcurve" and "Light curve" in figure_of(curve).title.text
    assert figure_of(object()) is None  # nothing to draw


def test_a_table_result_of_another_job_type_is_refused():
    with pytest.raises(ValueError, match="no table result for 'countmap' jobs"):
        TableResult.from_bytes("countmap", b"", b"")


def test_the_clients_load_without_their_heavy_or_upper_layers():
    code = (
        "import sys, ctanb.jobs, ctanb.search; "
        "assert 'ipywidgets' not in sys.modules and 'ctanb.widgets' not in sys.modules; "
        "import ctanb.widgets; "
        "assert 'gammapy' not in sys.modules and 'bokeh' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
