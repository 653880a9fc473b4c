"""Provenance attrs (package versions, device, spec, input checksums), read back from every kind
of output, and ``ibrepro provenance``'s chain from a figure back to a dataset."""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata

import numpy as np
import xarray as xr

from ibrepro import cli, provenance
from ibrepro.figures.save import new_figure, provenance_json, save_figure, save_table


def _nc(path, **attrs_kw) -> dict:
    attrs = provenance.provenance_attrs(**attrs_kw)
    xr.Dataset({"v": ("i", np.arange(3))}, attrs=attrs).to_netcdf(path, engine="netcdf4")
    return attrs


def test_attrs_carry_versions_device_commit_spec_and_checksums(tmp_path):
    source = tmp_path / "in.bin"
    source.write_bytes(b"abc")
    attrs = provenance.provenance_attrs(spec={"b": 1, "a": [2]}, inputs={"x": source})
    packages = json.loads(attrs["packages"])
    assert packages["numpy"] == metadata.version("numpy")
    assert packages["torch"] == metadata.version("torch") == attrs["torch_version"]
    assert {"xarray", "netCDF4", "matplotlib", "snakemake"} <= set(packages)
    assert attrs["device"] == "cpu" and attrs["git_commit"]
    assert attrs["spec"] == '{"a": [2], "b": 1}'
    sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256("abc")
    assert json.loads(attrs["inputs"]) == {"x": {"path": str(source), "sha256": sha}}
    assert provenance.provenance_attrs(device="cuda:0")["device"] == "cuda:0"


def test_every_output_kind_reads_back_the_same_provenance(tmp_path):
    attrs = provenance.provenance_attrs(spec={"item": "rip/fig1"}, item="rip/fig1")
    expected = json.loads(provenance_json(attrs))
    fig, _ = new_figure()
    save_figure(fig, tmp_path / "f", title="t", caption="a (caption) with \\ and ()",
                provenance=attrs)
    save_table([{"a": 1.0}], tmp_path / "t", caption="c", provenance=attrs)
    _nc(tmp_path / "d.nc", spec={"item": "rip/fig1"}, item="rip/fig1")
    for name in ("f.png", "f.pdf", "f.txt", "t.md", "t.csv", "t.txt"):
        assert provenance.read(tmp_path / name) == expected, name
    nc = provenance.read(tmp_path / "d.nc")
    assert nc["spec"] == {"item": "rip/fig1"} and nc["packages"] == expected["packages"]


def test_chain_follows_inputs_to_the_dataset_and_flags_changed_files(tmp_path, capsys):
    data, mi = tmp_path / "szt.nc", tmp_path / "mi.nc"
    _nc(data, spec={"name": "szt", "kind": "szt"})
    _nc(mi, spec={"method": "bin-size"}, inputs={"activations": data})
    fig, _ = new_figure()
    save_figure(fig, tmp_path / "fig1", title="rip/fig1", caption="c",
                provenance=provenance.provenance_attrs(spec={"item": "rip/fig1"},
                                                       inputs={"mi/x": mi}))
    assert cli.main(["provenance", str(tmp_path / "fig1.pdf")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == str(tmp_path / "fig1.pdf")
    assert '  spec: {"item": "rip/fig1"}' in lines
    assert "  <- mi/x: sha256 matches the recorded one" in lines
    assert f"    {mi}" in lines and f"        {data}" in lines
    assert '          spec: {"kind": "szt", "name": "szt"}' in lines
    _nc(data, spec={"name": "szt", "kind": "changed"})
    assert any("DIFFERS" in line for line in provenance.chain(tmp_path / "fig1.png"))
    data.unlink()
    assert any("(missing;" in line for line in provenance.chain(mi))


def test_large_files_are_hashed_once_per_version(tmp_path, monkeypatch):
    """A checksum of a file of REMEMBER_BYTES or more is remembered against the file's inode,
    size and times: read from the cache while the file is unchanged, recomputed once it is
    rewritten (renamed into place, as outputs are) or edited in place."""
    monkeypatch.setenv("IBREPRO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(provenance, "REMEMBER_BYTES", 4)
    path = tmp_path / "activations.nc"
    path.write_bytes(b"first version")
    first = provenance.sha256_file(path)
    assert first == hashlib.sha256(b"first version").hexdigest()
    (entry,) = provenance.checksum_cache().iterdir()
    version, _ = entry.read_text().split()
    entry.write_text(f"{version} {'0' * 64}\n")  # a remembered checksum is not recomputed
    assert provenance.sha256_file(path) == "0" * 64
    replacement = tmp_path / "new.nc"
    replacement.write_bytes(b"second version")
    os.replace(replacement, path)  # new inode
    assert provenance.sha256_file(path) == hashlib.sha256(b"second version").hexdigest()
    with path.open("ab") as handle:  # edited in place: size and times change
        handle.write(b"!")
    assert provenance.sha256_file(path) == hashlib.sha256(b"second version!").hexdigest()


def test_small_files_and_an_unwritable_cache_still_hash(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("IBREPRO_CACHE", str(blocked))
    path = tmp_path / "x.nc"
    path.write_bytes(b"abc")
    assert provenance.sha256_file(path) == hashlib.sha256(b"abc").hexdigest()  # small
    monkeypatch.setattr(provenance, "REMEMBER_BYTES", 1)
    assert provenance.sha256_file(path) == hashlib.sha256(b"abc").hexdigest()  # no cache
