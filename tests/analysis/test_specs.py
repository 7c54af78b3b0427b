"""Analysis specs: one declaration makes the CLI options, the job parameters and the defaults."""

from __future__ import annotations

import argparse
import inspect
import subprocess
import sys

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.time import Time

from ctanb.analysis.binning import FAST_PROJECTIONS
from ctanb.analysis.countmap import make_count_map, make_geom
from ctanb.analysis.lightcurve import make_light_curve
from ctanb.analysis.specs import (
    PROJECTIONS,
    SPECS,
    CountMapSpec,
    LightCurveSpec,
    ParameterError,
    SpectrumSpec,
)
from ctanb.analysis.spectrum import extract_spectrum
from ctanb.cli import build_parser
from ctanb.services.uws.definitions import JOB_TYPES

CRAB = SkyCoord(83.633, 22.0145, unit="deg")
EXAMPLES = [
    CountMapSpec(),
    CountMapSpec(
        skydir=CRAB, width=[4, 3] * u.deg, binsz=3 * u.arcmin, proj="TAN",
        energy_edges=[0.5, 5, 100] * u.TeV,
    ),
    CountMapSpec(skydir=SkyCoord(l=184.557, b=-5.784, unit="deg", frame="galactic"),
                 frame="galactic"),
    SpectrumSpec(on_centre=CRAB, on_radius=0.2 * u.deg, energy_edges=[1, 10, 100] * u.TeV),
    LightCurveSpec(e_min=500 * u.GeV, time_bins="night"),
    LightCurveSpec(on_centre=CRAB, time_bins=Time([53343.5, 53344.5], format="mjd", scale="tt")),
]  # fmt: skip


def test_projections_are_those_of_the_binning_kernel():
    assert set(PROJECTIONS) == set(FAST_PROJECTIONS)
    declared = {p.name: p for p in JOB_TYPES["countmap"].parameters}
    assert set(declared["proj"].allowed) == set(FAST_PROJECTIONS)
    with pytest.raises(ParameterError, match="proj"):
        CountMapSpec(proj="AIT")  # type: ignore[arg-type]


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda s: s.to_python()[:60])
def test_job_parameters_cli_options_and_python_give_back_the_spec(spec):
    assert type(spec).from_text(spec.to_parameters()) == spec
    parser = build_parser()
    args = parser.parse_args([spec.job_type, "x.fits", "--out", "o.fits", *spec.to_cli()])
    assert type(spec).from_args(args) == spec
    namespace = {"SkyCoord": SkyCoord, "Time": Time, "u": u, type(spec).__name__: type(spec)}
    assert eval(spec.to_python(), namespace) == spec  # the history's code builds it again


def test_units_come_from_the_declaration():
    spec = CountMapSpec.from_text({"binsz": "0.05", "width": "4,3", "energy_edges": "1 , 10"})
    assert spec.binsz == 0.05 * u.deg
    assert spec.width.shape == (2,) and spec.width.unit == u.deg
    assert spec.energy_edges.unit == u.TeV
    # Quantities in other units are converted once, where they enter
    assert CountMapSpec(binsz=3 * u.arcmin).to_parameters() == {"binsz": "0.05"}
    assert LightCurveSpec(e_min=500 * u.GeV).to_parameters() == {"e_min": "0.5"}
    with pytest.raises(ParameterError, match="deg"):
        CountMapSpec(binsz=1 * u.TeV)


def test_galactic_centres_are_named_as_such():
    galactic = CountMapSpec.from_text({"glon": "184.557", "glat": "-5.784"})
    assert galactic.skydir.frame.name == "galactic"
    assert galactic.to_parameters() == {"glon": "184.557", "glat": "-5.784"}
    icrs = CountMapSpec.from_text({"ra": "83.633", "dec": "22.0145"})
    assert icrs.skydir.frame.name == "icrs"
    with pytest.raises(ParameterError, match="not both"):
        CountMapSpec.from_text({"ra": "83.6", "dec": "22", "glon": "184"})
    with pytest.raises(ParameterError, match="both ra and dec"):
        CountMapSpec.from_text({"ra": "83.6"})


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ({"binsz": "-1"}, "binsz"),
        ({"binsz": "nan"}, "binsz"),
        ({"width": "1,2,3"}, "width"),
        ({"frame": "fk4"}, "frame"),
        ({"energy_edges": "10,1"}, "energy_edges"),
        ({"colour": "red"}, "COLOUR"),
    ],
)
def test_bad_text_is_refused_naming_the_parameter(given, name):
    with pytest.raises(ParameterError, match=name):
        CountMapSpec.from_text(given)


def test_the_functions_defaults_are_the_specs():
    def default(function, name):
        return inspect.signature(function).parameters[name].default

    spec = CountMapSpec()
    for function in (make_count_map, make_geom):
        for name in ("width", "binsz", "proj", "frame"):
            assert default(function, name) is getattr(spec, name) or np.all(
                default(function, name) == getattr(spec, name)
            )
    assert np.all(default(extract_spectrum, "energy_edges") == SpectrumSpec().energy_edges)
    curve = LightCurveSpec()
    assert default(make_light_curve, "energy_range") == (curve.e_min, curve.e_max)
    # the job service documents the same defaults
    declared = {p.name: p for p in JOB_TYPES["countmap"].parameters}
    assert declared["binsz"].parse(declared["binsz"].default) == spec.binsz
    assert set(SPECS) == {"countmap", "spectrum", "lightcurve"}


def test_cli_help_lists_the_declared_options():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    options = {o for a in sub.choices["countmap"]._actions for o in a.option_strings}
    assert {"--ra", "--dec", "--glon", "--glat", "--binsz", "--width", "--proj"} <= options
    assert {"--skydir", "--energy-edges", "--nside"} <= options  # backward compatible


def test_each_spec_runs_its_analysis_function():
    assert CountMapSpec.analysis() is make_count_map
    assert SpectrumSpec.analysis() is extract_spectrum
    assert LightCurveSpec.analysis() is make_light_curve
    for spec in SPECS.values():  # the entry point recorded in provenance names the same one
        function = spec.analysis()
        assert spec.entry_point == f"{function.__module__}:{function.__name__}"


def test_the_specs_import_no_gammapy():
    # the command line's parse, the job service's parameters and the forms read the specs;
    # only running an analysis (spec.analysis()) imports it
    code = "import sys, ctanb.analysis.specs; print('gammapy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
