"""Provenance of every figure, computed from the inputs the figure depends on.

Each region's model is resolved into named *inputs* (an eligibility rule, the annual amount,
a tier's trigger, an item's price, caps and minutes, a needs-map entry, the funding shares,
the staffing rule, the buying order). Each input has a basis:

- ``sourced``: the region's data names a source for it;
- ``illustrative``: filled in (marked ``illustrative = true``), or carrying no provenance of
  its own (an item's minutes and caps have no source field: they count as illustrative);
- ``scenario``: changed for this run by ``--set`` or ``--normalise``.

A figure's basis is the worst basis among the inputs it actually used (the rules that
admitted someone, the items bought, the entries that met a need …): scenario over
illustrative over sourced. Nothing is tagged by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .results import FigureProvenance, InputInfo

SOURCED = "sourced"
ILLUSTRATIVE = "illustrative"
SCENARIO = "scenario"
RANK = {SOURCED: 0, ILLUSTRATIVE: 1, SCENARIO: 2}


def basis_of(source: str, illustrative: bool) -> str:
    return ILLUSTRATIVE if illustrative or not source else SOURCED


def figure(keys: Iterable[str], inputs: Mapping[str, InputInfo]) -> FigureProvenance:
    """The provenance of a figure that depends on ``keys``."""
    used = sorted(set(keys))
    ill = [k for k in used if inputs[k].basis == ILLUSTRATIVE]
    scen = [k for k in used if inputs[k].basis == SCENARIO]
    basis = SCENARIO if scen else ILLUSTRATIVE if ill else SOURCED
    return FigureProvenance(basis=basis, illustrative=ill, scenario=scen, inputs=len(used))


def worst(*bases: str) -> str:
    return max(bases, key=RANK.__getitem__, default=SOURCED)
