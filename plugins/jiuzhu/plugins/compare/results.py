"""What a comparison reports: msgspec Structs, encoded as JSON as they are.

Money is integer fen; shares and hours are floats rounded for reading. Every result
records the jiuzhu version, each region plugin's version and the population's provenance.
"""

from __future__ import annotations

from datetime import date

import msgspec

from .population import PopulationInfo


class Result(msgspec.Struct, kw_only=True, frozen=True):
    """Plain result records (not region data: unknown fields are not a concern here)."""


class PlanSettingsInfo(Result, frozen=True):
    on: date
    reviews: int | None
    kind_order: list[str]
    overrides: list[str] = []  # --set REGION.PATH=VALUE, as given
    normalise: list[str] = []  # --normalise budget / prices
    normalised: dict[str, str] = {}  # what normalising set, e.g. {"budget": "100000 fen"}
    ratings: dict[str, float] = {}  # the rating distribution (supervision dimension)


class InputInfo(Result, frozen=True):
    """One input of a region's model and its basis (sourced, illustrative or scenario)."""

    label: str
    basis: str
    source: str = ""


class FigureProvenance(Result, frozen=True):
    """How far a figure can be trusted: the worst basis of the inputs it used, and which
    of them are illustrative or changed by the scenario (keys into RegionResult.inputs)."""

    basis: str
    illustrative: list[str] = []
    scenario: list[str] = []
    inputs: int = 0  # how many inputs the figure used


class RuleCount(Result, frozen=True):
    id: str
    label: str
    people: int  # for includes: qualified first by this rule; for excludes: removed by it
    matched: int = 0  # excludes: everyone the rule matches, qualified or not


class EligibilityResult(Result, frozen=True):
    rule_version: str
    people: int
    eligible: int
    not_qualified: int  # no include rule holds
    excluded: int  # qualified but excluded
    includes: list[RuleCount]
    excludes: list[RuleCount]


class TierResult(Result, frozen=True):
    """A bucket of the entitlement; amounts in the entitlement's unit (fen for money)."""

    name: str
    share_percent: int
    cap_fen: int  # per person and year, in the unit
    spent_fen: int  # all eligible people, in the unit
    categories: list[str]
    opens: str


class EntitlementResult(Result, frozen=True):
    """Money fields are fen; ``annual``/``used`` are in the rule's ``unit`` (for a money
    cap: the same as annual_fen and spent_fen; for a time floor: minutes owed and used)."""

    scheme: str
    valid_from: date
    annual_fen: int  # per person (a money cap; 0 otherwise)
    total_fen: int  # eligible x annual_fen
    spent_fen: int  # money the plans cost
    used_share: float  # used / (eligible x annual), in the unit
    spent_per_eligible_fen: int
    spent_per_served_fen: int
    full_use: int  # people whose plan used the whole entitlement
    tiers: list[TierResult]
    illustrative: bool
    unit: str = "fen"
    kind: str = "cap"  # cap | floor | none
    period: str = "year"
    annual: int = 0  # per person and year, in the unit
    used: int = 0  # all eligible people, in the unit
    level: str = ""  # the assessment level whose rule was modelled ("" : none needed)
    annual_text: str = ""


class SourceResult(Result, frozen=True):
    code: str
    name: str
    level: str
    spent_fen: int
    share: float


class NeedResult(Result, frozen=True):
    kind: str
    items: list[str]  # the region's items that meet this kind (codes), in buying order
    offered: bool
    reason: str  # why the kind is not offered, if so
    need_units: int  # all people of the population
    eligible_need_units: int
    met_units: int
    unmet_units: int  # eligible people's need not met
    met_share: float  # met / eligible need
    people_in_need: int  # eligible people with the need
    people_fully_met: int


class CategoryResult(Result, frozen=True):
    code: str
    name: str
    spent_fen: int
    persons: int
    person_times: int
    hours: float


class ItemResult(Result, frozen=True):
    code: str
    name: str
    category: str
    kind: str
    unit: str
    unit_price_fen: int
    units: int
    spent_fen: int
    persons: int
    hours: float


class StaffingResult(Result, frozen=True):
    hours: float
    hours_per_worker_per_year: int
    workers: int  # full-time workers the hours need
    teams: int  # provider teams, each of at least min_team_size
    staff: int  # max(workers, teams x min_team_size)
    intermediate_social_workers: int
    junior_social_workers: int
    min_team_size: int
    max_recipients_per_team: int | None
    source: str
    illustrative: bool
    defaulted: bool  # the region has no staffing.toml: defaults used
    # what sets the staff figure: "hours" (the workers the hours need), "team size" (whole
    # teams of min_team_size), or "recipients" (max_recipients_per_team: teams follow the
    # number served, not the hours)
    teams_by: str = "hours"


class PolicyCount(Result, frozen=True):
    code: str
    name: str
    kind: str  # cash | service | in_kind | other
    households: int  # households the policy's pre-tick rule holds for


class OneFormResult(Result, frozen=True):
    """一类事一次办: the joint form's policies each household would be pre-ticked for."""

    name: str
    policies: int  # policies on the form
    pre_ticked: int  # policies with a pre-tick rule the model evaluates
    households: int  # households in the population
    households_with_policy: int
    policies_per_household: float  # mean, over households with at least one
    histogram: list[int]  # households by number of policies: 0 .. 9, 10 or more
    by_kind: dict[str, int]  # households with at least one policy of the kind
    cash_and_services: int  # a cash policy and a member served (or a service policy)
    policies_by_households: list[PolicyCount]


class SupervisionResult(Result, frozen=True):
    """Providers' lights from a rating distribution, by the region's own light rule."""

    providers: int
    ratings: int
    lights: dict[str, int]  # label (绿灯 …) -> providers
    blocked: int  # providers whose standing blocks new dispatches
    rule_source: str
    illustrative: bool


class TimeResult(Result, frozen=True):
    """A time floor in hours: owed to the eligible beside what the plans deliver."""

    people: int
    owed_hours_per_person: float  # a year
    owed_hours: float
    delivered_hours: float
    shortfall_hours: float
    people_short: int


class FindingResult(Result, frozen=True):
    """政策找人: people the region's warning rules flag (from jiuzhu_found_by_warnings)."""

    rules: dict[str, int]  # rule label -> people flagged
    found: int
    found_eligible: int
    eligible_not_applied: int
    found_beyond_applicants: int  # eligible, did not apply, flagged
    applied_known: bool  # the population says who applied (else: everyone did)


class Dimensions(Result, frozen=True):
    one_form: OneFormResult | None = None
    supervision: SupervisionResult | None = None
    time: TimeResult | None = None
    finding: FindingResult | None = None


class RegionResult(Result, frozen=True):
    id: str
    name: str
    name_en: str
    plugin: str
    plugin_version: str
    data_version: str
    rule_versions: dict[str, str]
    eligibility: EligibilityResult
    entitlement: EntitlementResult
    funding: list[SourceResult]
    needs: list[NeedResult]
    categories: list[CategoryResult]
    items: list[ItemResult]
    staffing: StaffingResult
    persons_served: int
    person_times: int
    hours: float
    needs_met_share: float  # met / eligible need, all kinds
    notes: list[str] = []
    inputs: dict[str, InputInfo] = {}
    provenance: dict[str, FigureProvenance] = {}  # figure path -> provenance
    households_eligible: int = 0  # households with an eligible member
    households_served: int = 0  # households with a member served
    dimensions: Dimensions = Dimensions()


class CalibrationRow(Result, frozen=True):
    """One published delivery figure beside the model's (an item's persons and times)."""

    item: str
    name: str
    published_persons: int
    published_times: int
    model_persons: int
    model_times: int
    published_times_per_person: float
    model_times_per_person: float
    published_person_share: float  # share of the listed items' persons
    model_person_share: float
    published_mix: float  # share of the listed items' person-times
    model_mix: float


class CalibrationMeasure(Result, frozen=True):
    """A published total or intensity beside the model's (Qiaojia's hours per person)."""

    measure: str  # label, e.g. 人均小时
    key: str  # e.g. hours/person
    published: float
    model: float
    comparable: bool  # an intensity (comparable) or an absolute figure (population-bound)
    basis: str = "illustrative"  # provenance of the model's figure


class CalibrationResult(Result, frozen=True):
    region: str
    target: str  # e.g. 昌吉市汇同社会工作服务中心
    source: str
    rows: list[CalibrationRow]
    notes: list[str] = []
    totals: list[CalibrationMeasure] = []


class SensitivityRow(Result, frozen=True):
    region: str
    parameter: str  # a --set path
    label: str
    base: float
    low: float  # value at -20 %
    high: float  # value at +20 %
    headlines_low: dict[str, float]  # relative change of each headline at -20 %
    headlines_high: dict[str, float]
    largest: float  # the largest |relative change| of any headline
    largest_headline: str  # which headline that was


class Scenario(Result, frozen=True):
    name: str
    normalise: list[str]
    values: dict[str, dict[str, float]]  # headline -> region -> value
    spread: dict[str, float]  # headline -> max - min across regions


class Decomposition(Result, frozen=True):
    scenarios: list[Scenario]
    # headline -> share of the as-is spread that remains with budget and prices the same
    structural_share: dict[str, float]


class Explanation(Result, frozen=True):
    sensitivity: list[SensitivityRow] = []
    decomposition: Decomposition | None = None


class Comparison(Result, frozen=True):
    jiuzhu_version: str
    population: PopulationInfo
    plan: PlanSettingsInfo
    kinds: list[str]
    regions: list[RegionResult]
    seconds: float = 0.0  # wall time; not part of the model's answer
    engine: str = "local"
    explanation: Explanation | None = None  # --sensitivity / --decompose
    calibration: list[CalibrationResult] = []

    def region(self, region_id: str) -> RegionResult:
        for r in self.regions:
            if r.id == region_id:
                return r
        raise KeyError(region_id)


def to_json(result: Comparison) -> bytes:
    return msgspec.json.format(msgspec.json.encode(result), indent=2)


def from_json(data: bytes | str) -> Comparison:
    return msgspec.json.decode(data, type=Comparison)
