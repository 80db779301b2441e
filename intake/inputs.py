"""From a validated request to the workflow's input (`OnboardingInput`, which lives in history)."""

from __future__ import annotations

from intake.request import ExistingBrand, ExistingCampaign, ExistingNumber, OnboardingRequest
from workflows.inputs import ConnectorPlan, DeadlineDays, NumberPlan, OnboardingInput, PollSettings
from workflows.memo import Recorded
from workflows.state import PreflightWarning


def onboarding_input(
    request: OnboardingRequest,
    *,
    workspace_id: str,
    organization_id: str,
    poll: PollSettings | None = None,
    warnings: list[PreflightWarning] | None = None,
    prior: Recorded | None = None,
    bird_task_queue: str | None = None,
) -> OnboardingInput:
    """The workflow input for a validated request whose workspace and organization are known;
    `prior`: what an earlier run of the same onboarding id recorded (its memo)."""
    if isinstance(request.number, ExistingNumber):
        number = NumberPlan(phone_number_id=request.number.phone_number_id)
    else:
        number = NumberPlan(country_code=request.number.country_code, prefix=request.number.prefix)
    d = request.deadlines
    return OnboardingInput(
        onboarding_id=request.onboarding_id,
        workspace_id=workspace_id,
        organization_id=organization_id,
        number=number,
        brand_id=request.brand.brand_id if isinstance(request.brand, ExistingBrand) else None,
        brand=None if isinstance(request.brand, ExistingBrand) else request.brand.to_wire(),
        vetting=request.vetting.to_wire() if request.vetting is not None else None,
        campaign={} if isinstance(request.campaign, ExistingCampaign) else request.campaign.to_wire(),
        campaign_id=request.campaign.campaign_id if isinstance(request.campaign, ExistingCampaign) else None,
        connector=ConnectorPlan(name=request.connector.name, channel_message_type=request.connector.channel_message_type),
        deadlines=DeadlineDays(
            brand=d.brand_days, vetting=d.vetting_days, campaign=d.campaign_days, readiness=d.readiness_days
        ),
        poll=poll or PollSettings(),
        warnings=list(warnings or []),
        prior=prior,
        bird_task_queue=bird_task_queue,
    )
