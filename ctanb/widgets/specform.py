"""Analysis forms made from the specs' declarations, pre-filled from the selection.

A :class:`SpecForm` has one field per declared parameter of a spec
(:mod:`ctanb.analysis.specs`): a drop-down for a choice, a text box (with the unit) for
numbers, lists and times. Its value is the spec, parsed as the job service parses it, so
the form, the command line and a job refuse the same inputs with the same words.
:func:`spec_for_selection` proposes the geometry of a selection: centred on the resolved
target (else the mean pointing), wide enough to cover every selected field of view.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

from ctanb.analysis.specs import AnalysisSpec, CountMapSpec, ParameterError, SpectrumSpec
from ctanb.widgets.skyview import footprints_of

__all__ = ["MAX_WIDTH", "SpecForm", "spec_for_selection"]

#: Widest map the forms propose from a selection.
MAX_WIDTH = 20 * u.deg


def _footprints(selection: Table) -> list[list[float]]:
    return [f for f in footprints_of(selection) if f[2] > 0]


def spec_for_selection(
    kind: type[AnalysisSpec],
    selection: Table | None,
    target: SkyCoord | None = None,
    base: AnalysisSpec | None = None,
) -> AnalysisSpec:
    """A spec for the selected runs: centre on ``target``, width covering their fields.

    Parameters
    ----------
    kind : type
        The spec class.
    selection : astropy.table.Table or None
        The selected ObsCore rows (``s_region`` or ``s_ra``/``s_dec``/``s_fov``).
    target : SkyCoord, optional
        The resolved target; default the mean of the selected pointings.
    base : AnalysisSpec, optional
        Other fields come from here (default: the spec's defaults).

    Returns
    -------
    AnalysisSpec
        For a count map: ``skydir`` and ``width`` (a multiple of ``binsz``) set; for an
        ON/OFF analysis: ``on_centre`` on the target. Without a selection: ``base``.
    """
    spec = base or kind()
    footprints = _footprints(selection) if selection is not None and len(selection) else []
    if target is None and footprints:
        arr = np.array(footprints)
        centres = SkyCoord(arr[:, 0], arr[:, 1], unit="deg")
        mean = centres.cartesian.mean()
        target = SkyCoord(mean, representation_type="cartesian", frame="icrs")
        target = SkyCoord(target.spherical.lon, target.spherical.lat, frame="icrs")
    if target is None:
        return spec
    target = SkyCoord(target.icrs.ra, target.icrs.dec, frame="icrs")
    if isinstance(spec, CountMapSpec):
        width = spec.width
        if footprints:
            arr = np.array(footprints)
            reach = target.separation(SkyCoord(arr[:, 0], arr[:, 1], unit="deg")).deg + arr[:, 2]
            binsz = spec.binsz.to_value(u.deg)
            # at most MAX_WIDTH: runs far from the target would ask for a sky-sized map
            pixels = np.ceil(min(2 * reach.max(), MAX_WIDTH.to_value(u.deg)) / binsz)
            width = pixels * binsz * u.deg
        centre = target if spec.frame == "icrs" else target.galactic
        return spec.replace(skydir=centre, width=width)
    if hasattr(spec, "on_centre"):
        return spec.replace(on_centre=target)
    return spec


class SpecForm(w.VBox):
    """A form for one analysis spec: one field per declared parameter.

    Parameters
    ----------
    kind : type
        The spec class (:class:`~ctanb.analysis.specs.CountMapSpec`...).
    spec : AnalysisSpec, optional
        Initial values (default: the spec's defaults).

    Attributes
    ----------
    fields : dict
        Parameter name -> widget.
    """

    def __init__(self, kind: type[AnalysisSpec], spec: AnalysisSpec | None = None) -> None:
        self.kind = kind
        self.fields: dict[str, w.Widget] = {}
        rows = []
        for parameter in kind.parameters():
            label = parameter.name + (f" ({parameter.unit})" if parameter.unit else "")
            style = {"description_width": "140px"}
            layout = w.Layout(width="340px")
            field: w.Widget
            if parameter.allowed:
                field = w.Dropdown(
                    description=label, options=list(parameter.allowed), style=style, layout=layout
                )
            else:
                field = w.Text(
                    description=label,
                    placeholder="default" if parameter.optional else "",
                    style=style,
                    layout=layout,
                )
            field.tooltip = parameter.description
            field.add_class(f"ctanb-param-{parameter.name}")
            self.fields[parameter.name] = field
            rows.append(field)
        self.message = w.HTML()
        half = (len(rows) + 1) // 2
        super().__init__(
            [
                w.HBox([w.VBox(rows[:half]), w.VBox(rows[half:])]),
                self.message,
            ]
        )
        self.add_class(f"ctanb-form-{kind.job_type}")
        self.fill(spec or kind())

    def fill(self, spec: AnalysisSpec) -> None:
        """Show ``spec``'s values (defaults shown as such; optional ones left empty)."""
        given = spec.to_parameters()
        for parameter in self.kind.parameters():
            text = given.get(parameter.name, parameter.default or "")
            if parameter.name in ("width", "binsz", "on_radius") and text:
                text = _short(text)
            field = self.fields[parameter.name]
            field.value = text if not isinstance(field, w.Dropdown) else (text or field.options[0])
        self.message.value = ""

    @property
    def spec(self) -> AnalysisSpec:
        """The spec of the fields.

        Raises
        ------
        ParameterError
            Naming the field that does not fit (also shown in the form).
        """
        values = {name: str(field.value).strip() for name, field in self.fields.items()}
        try:
            spec = self.kind.from_text({k: v for k, v in values.items() if v})
        except ParameterError as exc:
            self.message.value = f'<span class="ctanb-error">{html.escape(str(exc))}</span>'
            raise
        self.message.value = ""
        return spec


def _short(text: str) -> str:
    """Numbers rounded for display (``5.000000000000001`` -> ``5``)."""
    out = []
    for part in text.split(","):
        try:
            out.append(f"{float(part):.6g}")
        except ValueError:
            out.append(part)
    return ",".join(out)


def describe(spec: Any) -> str:
    """One line saying what a spec will make (shown beside the Run button)."""
    if isinstance(spec, CountMapSpec):
        centre = (
            "mean pointing"
            if spec.skydir is None
            else f"{spec.skydir.spherical.lon.deg:.3f}, {spec.skydir.spherical.lat.deg:+.3f}"
        )
        edges = "2D" if spec.energy_edges is None else f"{len(spec.energy_edges) - 1} energy bins"
        width = "x".join(f"{v:g}" for v in np.atleast_1d(spec.width.to_value(u.deg)))
        return (
            f"{width} deg at {centre} ({spec.frame}), {spec.binsz.to_value(u.deg):g} deg pixels,"
            f" {spec.proj}, {edges}"
        )
    if isinstance(spec, SpectrumSpec):
        return f"{len(spec.energy_edges) - 1} energy bins, ON radius {spec.on_radius:g}"
    return spec.to_python()
