"""The layout of the papers: each item and claim lives in its paper's package, whose docstring
names the module holding it; nothing shared imports a paper; every paper of the catalogue has
its package."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import pytest

import ibrepro
from ibrepro.fingerprint import module_imports
from ibrepro.papers import CLAIMS, ITEMS, PACKAGES, PAPERS

# the application around the registries: they import ibrepro.papers to fill them
APPLICATION = {"ibrepro.cli", "ibrepro.config", "ibrepro.__main__"}


def test_every_paper_of_the_catalogue_has_its_package():
    assert set(PACKAGES) == set(PAPERS)
    assert {i.split("/")[0] for i in ITEMS} == set(PAPERS)


@pytest.mark.parametrize("item_id", sorted(ITEMS))
def test_an_item_is_one_hop_from_its_id(item_id):
    paper = item_id.split("/")[0]
    module = ITEMS[item_id].build.__module__
    assert module.startswith(f"ibrepro.papers.{paper}.")
    assert f"``{module.rsplit('.', 1)[1]}``" in PACKAGES[paper].__doc__


def test_a_claim_is_one_hop_from_its_id():
    for claim in CLAIMS.values():
        if claim.ours is not None:
            assert claim.ours.__module__ == f"ibrepro.papers.{claim.paper_key}.claims", claim.id


def test_nothing_shared_imports_a_paper():
    root = Path(ibrepro.__file__).parent
    modules = [m.name for m in pkgutil.walk_packages([str(root)], "ibrepro.")]
    shared = [m for m in modules if not m.startswith("ibrepro.papers") and m not in APPLICATION]
    assert "ibrepro.figures.registry" in shared and "ibrepro.report.writer" in shared
    offenders = {m: [i for i in module_imports(m) if i.startswith("ibrepro.papers")]
                 for m in shared}
    assert {m: i for m, i in offenders.items() if i} == {}
