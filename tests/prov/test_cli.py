"""``ctanb prov`` on real product files."""

from __future__ import annotations

import astropy.units as u
from astropy.coordinates import SkyCoord
from prov.model import ProvDocument

from ctanb.analysis import CountMap, make_count_map
from ctanb.cli import main


def test_prov_commands(data_dir, tmp_path, capsys):
    files = [data_dir / "hess-dl3-dr1" / "data" / "hess_dl3_dr1_obs_id_023523.fits.gz"]
    centre = SkyCoord(83.633, 22.014, unit="deg")
    common = dict(skydir=centre, width=2 * u.deg, energy_edges=[1, 10] * u.TeV)
    a = make_count_map(files, binsz=0.05 * u.deg, **common).to_fits(tmp_path / "a.fits")
    b = make_count_map(files, binsz=0.1 * u.deg, **common).to_fits(tmp_path / "b.fits")

    assert main(["prov", "show", str(a), "--format", "json"]) == 0
    shown = ProvDocument.deserialize(content=capsys.readouterr().out, format="json")
    assert shown == CountMap.read(a).provenance

    assert main(["prov", "lineage", str(a)]) == 0
    out = capsys.readouterr().out
    assert "obs_id=23523" in out and str(files[0]) in out and "gammapy" in out

    assert main(["prov", "diff", str(a), str(b)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("parameter binsz")
    assert main(["prov", "diff", str(a), str(a)]) == 0

    assert main(["prov", "replay", str(a), "--out", str(tmp_path / "again.fits")]) == 0
    assert CountMap.read(tmp_path / "again.fits").checksum() == CountMap.read(a).checksum()

    assert main(["prov", "lineage", str(files[0])]) == 1
    assert "no provenance" in capsys.readouterr().err
