"""Search forms: a cone search with name resolution (the prototype's search form).

The queries themselves are built and run by :mod:`ctanb.search`; the forms only collect
inputs, show the ADQL that was sent, and report errors inside the widget.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

from ctanb.errors import CtanbError
from ctanb.search.adql import cone_query
from ctanb.search.resolve import resolve
from ctanb.search.searches import cone_search

__all__ = ["ConeSearch", "parse_position"]


def parse_position(ra: str, dec: str) -> SkyCoord:
    """Parse RA/Dec typed in degrees (``83.63``) or sexagesimal (``05:34:31.9``, ``5h34m31.9s``).

    Raises
    ------
    ValueError
        With a message saying which value could not be read.
    """
    ra, dec = ra.strip(), dec.strip()
    if not ra or not dec:
        raise ValueError("give both RA and Dec, or a target name to resolve")
    sexagesimal = any(c in ra for c in ":hms ") or any(c in dec for c in ":dms ")
    try:
        if sexagesimal:
            return SkyCoord(ra, dec, unit=(u.hourangle, u.deg), frame="icrs")
        return SkyCoord(float(ra) * u.deg, float(dec) * u.deg, frame="icrs")
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"cannot read RA '{ra}' / Dec '{dec}': use degrees (83.633, 22.014) or "
            "sexagesimal (05:34:31.9, +22:00:52)"
        ) from exc


class ConeSearch(w.VBox):
    """Cone search form: target name (with Resolve), RA/Dec, radius; Submit and Reset.

    Parameters
    ----------
    radius : Quantity
        Initial search radius.
    on_result : callable, optional
        Called with the result :class:`~astropy.table.Table` after each successful search.

    Attributes
    ----------
    result : astropy.table.Table or None
        The last result (``result.meta["adql"]`` is the query that was sent).
    position : SkyCoord or None
        The last resolved or typed position.
    """

    def __init__(
        self, radius: u.Quantity = 1 * u.deg, on_result: Callable[[Table], None] | None = None
    ) -> None:
        self.target = w.Text(description="Target", placeholder="e.g. Crab")
        self.resolve_button = w.Button(description="Resolve", icon="search")
        self.resolved = w.HTML("")
        self.ra = w.Text(description="RA", placeholder="deg or hh:mm:ss")
        self.dec = w.Text(description="Dec", placeholder="deg or dd:mm:ss")
        self.radius = w.BoundedFloatText(
            value=float(radius.to_value(u.deg)),
            min=0.0,
            max=180.0,
            step=0.1,
            description="Radius (deg)",
        )
        self.submit_button = w.Button(description="Submit", button_style="primary")
        self.reset_button = w.Button(description="Reset")
        self.adql = w.Textarea(
            value="",
            description="ADQL",
            disabled=True,
            layout=w.Layout(width="100%", height="4.5em"),
        )
        self.status = w.HTML("")
        self.result: Table | None = None
        self.position: SkyCoord | None = None
        self._callbacks: list[Callable[[Table], None]] = [on_result] if on_result else []
        self.resolve_button.on_click(lambda _: self.resolve())
        self.submit_button.on_click(lambda _: self.submit())
        self.reset_button.on_click(lambda _: self.reset())
        for field in (self.ra, self.dec, self.radius):
            field.observe(lambda _: self._preview(), "value")
        super().__init__(
            [
                w.HBox([self.target, self.resolve_button, self.resolved]),
                w.HBox([self.ra, self.dec, self.radius]),
                w.HBox([self.submit_button, self.reset_button]),
                self.adql,
                self.status,
            ]
        )
        self.add_class("ctanb-cone-search")

    def _preview(self) -> None:
        """Show the ADQL that Submit will send, as the position and radius change."""
        if not (self.ra.value.strip() and self.dec.value.strip()):
            return
        try:
            position = parse_position(self.ra.value, self.dec.value)
            self.adql.value = str(cone_query(position, self.radius.value * u.deg))
        except (ValueError, CtanbError):
            return

    def on_result(self, callback: Callable[[Table], None]) -> None:
        """Call ``callback(table)`` after each successful search."""
        self._callbacks.append(callback)

    def _error(self, message: str) -> None:
        self.status.value = (
            f'<span class="ctanb-error" style="color:#b00">{html.escape(message)}</span>'
        )

    def _info(self, message: str) -> None:
        self.status.value = f'<span class="ctanb-info">{html.escape(message)}</span>'

    def resolve(self) -> SkyCoord | None:
        """Resolve the target name into RA/Dec; show where the position came from."""
        name = self.target.value.strip()
        if not name:
            self._error("type a target name to resolve (e.g. Crab)")
            return None
        try:
            resolved = resolve(name)
        except (CtanbError, ValueError, LookupError) as exc:
            self._error(f"cannot resolve '{name}': {exc}")
            return None
        coord, source = resolved.coord, resolved.source
        self.position = coord
        self.ra.value = f"{coord.ra.deg:.5f}"
        self.dec.value = f"{coord.dec.deg:.5f}"
        self.resolved.value = (
            f'<span class="ctanb-resolved">{html.escape(name)}: '
            f"{coord.ra.deg:.4f}, {coord.dec.deg:+.4f} (from {html.escape(source)})</span>"
        )
        self._info("")
        return coord

    def submit(self) -> Table | None:
        """Run the cone search; errors are shown in the widget, never raised."""
        try:
            if self.ra.value.strip() or self.dec.value.strip():
                target: Any = parse_position(self.ra.value, self.dec.value)
            elif self.target.value.strip():
                target = self.resolve()
                if target is None:
                    return None
            else:
                raise ValueError("give a target name or RA/Dec")
            self.position = target
            self._info("searching…")
            table = cone_search(target, self.radius.value * u.deg)
        except (CtanbError, ValueError, LookupError, OSError) as exc:
            self._error(str(exc))
            return None
        except Exception as exc:
            self._error(f"search failed: {type(exc).__name__}: {exc}")
            return None
        self.result = table
        self.adql.value = str(table.meta.get("adql", ""))
        self._info(f"{len(table)} observations found")
        for callback in self._callbacks:
            callback(table)
        return table

    def reset(self) -> None:
        """Clear the form, the ADQL and the messages."""
        for field in (self.target, self.ra, self.dec):
            field.value = ""
        self.radius.value = 1.0
        self.adql.value = ""
        self.resolved.value = ""
        self.status.value = ""
        self.result = None
        self.position = None
