"""police.uk outcome types, grouped into sanction outcomes and the rest.

A *sanction outcome* (the Home Office's "sanction detection" family, as the Metropolitan Police
Authority's targets used it) is a charge or summons, a caution, a penalty notice, a cannabis or
drugs possession warning, or a community resolution. police.uk publishes court results as
outcomes of their own ("Offender sent to prison", "Defendant found not guilty", ...): each of
them follows a charge or summons, so each counts as one, whatever the court decided. The
mapping is documented, with every police.uk outcome type, in ``docs/methods/outcomes.md``.
"""

from __future__ import annotations

#: Sanction classes, in the order tables show them.
SANCTION_CLASSES = ("charge_summons", "caution", "penalty_notice", "drugs_warning", "community_resolution")

#: Every police.uk outcome type (outcomes files and the street files' "Last outcome category").
OUTCOME_CLASS: dict[str, str] = {
    # a charge or summons, and the court results that follow one
    "Suspect charged": "charge_summons",
    "Suspect charged as part of another case": "charge_summons",
    "Awaiting court outcome": "charge_summons",
    "Court result unavailable": "charge_summons",
    "Court case unable to proceed": "charge_summons",
    "Defendant sent to Crown Court": "charge_summons",
    "Defendant found not guilty": "charge_summons",
    "Offender sent to prison": "charge_summons",
    "Offender given suspended prison sentence": "charge_summons",
    "Offender given community sentence": "charge_summons",
    "Offender fined": "charge_summons",
    "Offender given conditional discharge": "charge_summons",
    "Offender given absolute discharge": "charge_summons",
    "Offender ordered to pay compensation": "charge_summons",
    "Offender deprived of property": "charge_summons",
    "Offender otherwise dealt with": "charge_summons",
    # out-of-court sanctions
    "Offender given a caution": "caution",
    "Offender given penalty notice": "penalty_notice",
    "Offender given a drugs possession warning": "drugs_warning",
    "Local resolution": "community_resolution",
    # no sanction
    "Investigation complete; no suspect identified": "no_suspect",
    "Unable to prosecute suspect": "unable_to_prosecute",
    "Formal action is not in the public interest": "public_interest",
    "Further investigation is not in the public interest": "public_interest",
    "Further action is not in the public interest": "public_interest",
    "Action to be taken by another organisation": "other_organisation",
    # no outcome yet, or none known
    "Under investigation": "under_investigation",
    "Status update unavailable": "unknown",
}

#: Classes that end an investigation without a sanction.
NO_SANCTION_CLASSES = ("no_suspect", "unable_to_prosecute", "public_interest", "other_organisation")


def outcome_class(outcome_type: str | None) -> str:
    """The class of a police.uk outcome type; ``unrecognised`` for a type not in :data:`OUTCOME_CLASS`."""
    if outcome_type is None or not outcome_type.strip():
        return "none"
    return OUTCOME_CLASS.get(outcome_type.strip(), "unrecognised")


def is_sanction(outcome_type: str | None) -> bool:
    """True for a sanction outcome (charge or summons, caution, penalty notice, drugs warning, community resolution)."""
    return outcome_class(outcome_type) in SANCTION_CLASSES
