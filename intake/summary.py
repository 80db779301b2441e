"""What the Temporal UI shows of an onboarding from its start (the workflow's static summary and
details): who it is for, without opening the input JSON. Used by every command that starts one."""

from __future__ import annotations

from workflows.inputs import OnboardingInput


def start_summary(input: OnboardingInput) -> str:
    """One line for the UI's list and detail page: `acme-sms · Acme Plumbing · ACCOUNT_NOTIFICATION`."""
    return " · ".join((input.onboarding_id, _brand(input), _use_case(input)))


def start_details(input: OnboardingInput) -> str:
    """Markdown for the UI's "Details": onboarding id, brand, use case, number and what was asked."""
    number = input.number
    if number.phone_number_id:
        wanted = f"existing number `{number.phone_number_id}`"
    else:
        wanted = f"a new {number.country_code} number" + (f" with prefix {number.prefix}" if number.prefix else "")
    lines = [
        f"**Onboarding** `{input.onboarding_id}`",
        f"- brand: {_brand(input)}",
        f"- use case: {_use_case(input)}",
        f"- number: {wanted}",
        f"- vetting: {'requested' if input.vetting is not None else 'none'}",
        f"- connector: {input.connector.name} ({input.connector.channel_message_type})",
        f"- workspace: `{input.workspace_id}`",
    ]
    return "\n".join(lines)


def _brand(input: OnboardingInput) -> str:
    if input.brand:
        return str(input.brand.get("displayName") or input.brand.get("companyName") or "brand")
    return f"existing brand {input.brand_id}"


def _use_case(input: OnboardingInput) -> str:
    return str(input.campaign.get("usecase") or "use case not set")
