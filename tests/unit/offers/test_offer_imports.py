"""The imports of the functional core: offers build on models, and no module imports itself back."""

from __future__ import annotations

import importlib

import grimp
import pytest


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    """Every import of models and offers, including those inside functions."""
    return grimp.build_graph("offers", "models", cache_dir=None)


def test_offers_import_models_and_models_never_import_offers(graph: grimp.ImportGraph) -> None:
    """The policy is written in the models' words (segments, customer types), so the arrow runs one way."""
    assert graph.find_illegal_dependencies_for_layers(layers=["offers", "models"]) == set()


def test_no_module_of_the_core_imports_one_that_imports_it_back(graph: grimp.ImportGraph) -> None:
    """No circles, not even through a late import inside a function."""
    circles = {
        tuple(sorted((module, imported)))
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    }
    assert circles == set()


@pytest.mark.parametrize("package", ["models", "offers"])
def test_every_public_name_of_a_core_package_is_its_modules(package: str) -> None:
    """The packages import their names on first use: each in ``__all__`` is found, and is its module's own."""
    module = importlib.import_module(package)
    home_of = {name: home for home, names in module._HOMES.items() for name in names}
    assert sorted(home_of) == sorted(module.__all__)
    for name in module.__all__:
        assert getattr(module, name) is getattr(importlib.import_module(home_of[name]), name), name
    with pytest.raises(AttributeError, match="no attribute 'nothing_of_that_name'"):
        module.nothing_of_that_name  # noqa: B018 - the lookup is the test
