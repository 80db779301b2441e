"""Pre-flight checks: the common carrier and TCR rejection reasons, caught before a request costs a fee.

`check_request(request)` returns every `Finding`; `tendlc check` and `tendlc start` both use it.
Errors refuse a start; warnings are printed and recorded. The rule table is `RULES`, documented
in docs/preflight.md: registry.py holds it, brand_rules.py and campaign_rules.py fill it.
"""

# The rule modules register on import; brand rules first, as the table (and its findings) reads.
from intake.preflight import brand_rules, campaign_rules  # noqa: F401
from intake.preflight.registry import (
    RULES,
    Finding,
    Rule,
    Severity,
    UnknownRules,
    accepted_rules,
    check_request,
    refusing,
)

__all__ = ["RULES", "Finding", "Rule", "Severity", "UnknownRules", "accepted_rules", "check_request", "refusing"]
