"""The resources plugin's role and permissions (registered through the registry hooks)."""

from __future__ import annotations

from jiuzhu.core.access import Permission, Role, RoleDef, View

UNIT = "unit"  # 爱心单位: an account acting for one resource of the library (claims wishes)

ROLES = (RoleDef(name=UNIT, label="爱心单位", area_bound=False),)

_STAFF = (Role.ADMIN, Role.OFFICER, Role.CLERK)
_READERS = (*_STAFF, Role.SUPERVISOR, Role.EVALUATOR)

PERMISSIONS = (
    Permission(
        name="resource.read",
        description="the resource library (资源库) and its offers; no personal data",
        roles=(*_READERS, Role.WORKER, Role.PROVIDER_ADMIN, UNIT),
    ),
    Permission(
        name="resource.write",
        description="add resources, offers and unit accounts to the library",
        roles=(Role.ADMIN, Role.OFFICER),
    ),
    Permission(
        name="fund.read",
        description="charity funds and their ledgers",
        roles=(Role.ADMIN, Role.OFFICER, Role.SUPERVISOR, Role.EVALUATOR),
    ),
    Permission(
        name="fund.write",
        description="book donations to and grants from charity funds",
        roles=(Role.ADMIN, Role.OFFICER),
    ),
    Permission(
        name="wish.publish",
        description="publish a household's need as a micro-wish (微心愿), withdraw it",
        roles=_STAFF,
    ),
    Permission(
        name="wish.read",
        description="micro-wishes as the wall shows them (no personal data); staff: their area",
        roles=(*_READERS, UNIT),
    ),
    Permission(
        name="wish.claim",
        description="claim and fulfil micro-wishes for the unit the account is linked to",
        roles=(UNIT, Role.ADMIN),
    ),
    Permission(
        name="wish.confirm",
        description="confirm a fulfilled wish on the recipient's behalf",
        roles=_STAFF,
    ),
    Permission(
        name="team.manage",
        description="form 1+1+N case teams and record their graded reviews (分级研判)",
        roles=(Role.ADMIN, Role.OFFICER),
    ),
    Permission(
        name="package.read",
        description="a household's whole package (救助大礼包)",
        roles=(*_STAFF, Role.SUPERVISOR),
        person_view=View.MASKED,
    ),
    Permission(
        name="benefit.record",
        description="record cash, goods and aids a household received",
        roles=(Role.ADMIN, Role.OFFICER),
    ),
    Permission(
        name="volunteer.record",
        description="register volunteers and record their hours",
        roles=(Role.ADMIN, Role.OFFICER),
    ),
)
