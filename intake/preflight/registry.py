"""The pre-flight rule registry: each rule a carrier, TCR or Bird rejection reason that a request
shows before Bird bills for it. A rule is data (id, severity, the field it points at, a one-line
reason, its source) plus a small function that yields where the request breaks it.

Severity: `error` for what Bird or the registry states outright and we can check exactly
(formats, flags against samples, keywords, shorteners, placeholders, counts); `warning` for
judgements a reviewer makes that a word list can only approximate (domains, age-gated words).
The rules themselves are in brand_rules.py and campaign_rules.py, registered in that order when
the package is imported; docs/preflight.md lists the same table for people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from bird.models import CampaignCreate
from intake.request import OnboardingRequest

Severity = Literal["error", "warning"]


class Finding(BaseModel):
    """One broken rule: `field` is the wire path (`campaign.samples[1]`, `brand.ein`)."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    severity: Severity
    field: str
    message: str
    source: str = ""
    # overridden by the operator (`accept`): shown and recorded, no longer refusing the start
    accepted: bool = False


class Hit(NamedTuple):
    field: str
    detail: str = ""


Check = Callable[[OnboardingRequest], Iterator[Hit]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    field: str
    reason: str
    source: str
    check: Check


RULES: list[Rule] = []


def rule(id: str, severity: Severity, field: str, reason: str, source: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES.append(Rule(id, severity, field, reason, source, check))
        return check

    return register


CampaignCheck = Callable[[OnboardingRequest, CampaignCreate], Iterator[Hit]]


def campaign_rule(id: str, severity: Severity, field: str, reason: str, source: str) -> Callable[[CampaignCheck], Check]:
    """A rule about a new campaign's fields: an existing `campaign_id` has none, so it finds nothing there."""

    def register(check: CampaignCheck) -> Check:
        def on_new_campaign(req: OnboardingRequest) -> Iterator[Hit]:
            if isinstance(req.campaign, CampaignCreate):
                yield from check(req, req.campaign)

        return rule(id, severity, field, reason, source)(on_new_campaign)

    return register


class UnknownRules(ValueError):
    """`accept` names rule ids that do not exist; the message lists the valid ones."""


def accepted_rules(ids: list[str]) -> frozenset[str]:
    """The rule ids an operator overrides, or `UnknownRules` naming every unknown one."""
    known = [r.id for r in RULES]
    unknown = [i for i in dict.fromkeys(ids) if i not in known]
    if unknown:
        raise UnknownRules(f"unknown rule id{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                           f"valid: {', '.join(dict.fromkeys(known))}")  # fmt: skip
    return frozenset(ids)


def check_request(request: OnboardingRequest, accept: frozenset[str] = frozenset()) -> list[Finding]:
    """Every rule the request breaks: errors first, then warnings, each in table order.

    Rules about the brand's own fields (name, domains, US formats) only apply when the request
    registers a new brand; an existing `brand_id` was checked when it was registered. Likewise the
    campaign rules only apply to a new campaign, not to an approved `campaign_id`.
    """
    new_campaign = isinstance(request.campaign, CampaignCreate)
    findings = [
        Finding(
            rule_id=r.id,
            severity=r.severity,
            field=hit.field,
            message=f"{r.reason}: {hit.detail}" if hit.detail else r.reason,
            source=r.source,
            accepted=r.id in accept,
        )
        for r in RULES
        if new_campaign or not r.id.startswith("CAMPAIGN_")
        for hit in r.check(request)
    ]
    return sorted(findings, key=lambda f: f.severity != "error")


def refusing(findings: list[Finding]) -> list[Finding]:
    """The findings that refuse a start: errors the operator did not accept."""
    return [f for f in findings if f.severity == "error" and not f.accepted]

