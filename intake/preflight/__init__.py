"""Pre-flight checks: the common carrier and TCR rejection reasons, caught before a request costs a fee.

`check_request(request)` returns every `Finding`; `tendlc check` and `tendlc start` both use it.
Errors refuse a start; warnings are printed and recorded. The rule table is `RULES`, documented
in docs/preflight.md.
"""

from intake.preflight.rules import (
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
