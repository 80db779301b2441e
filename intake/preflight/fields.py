"""What the pre-flight rules read from a request: the new brand, its names and website, the
campaign's use case and the texts a reviewer or a handset sees, each with its wire path."""

from __future__ import annotations

from collections.abc import Iterator

from bird.models import BrandCreate, CampaignCreate
from intake.preflight import text
from intake.request import OnboardingRequest

MIXED_USECASES = frozenset({"MIXED", "LOW_VOLUME"})


def new_brand(req: OnboardingRequest) -> BrandCreate | None:
    return req.brand if isinstance(req.brand, BrandCreate) else None


def brand_names(req: OnboardingRequest) -> list[str]:
    """How a message may name the brand: display name, legal name, or its website's name
    ("Sunny Days" for sunnydays.shop)."""
    brand = new_brand(req)
    if brand is None:
        return []
    return [brand.display_name, brand.company_name, website_site(req).split(".")[0]]


def website_site(req: OnboardingRequest) -> str:
    brand = new_brand(req)
    return text.site(text.host(brand.website)) if brand else ""


def is_us(brand: BrandCreate) -> bool:
    return brand.country.upper() == "US"


def usecase(c: CampaignCreate) -> str:
    return c.usecase.strip().upper()


def is_marketing(c: CampaignCreate) -> bool:
    subs = {s.upper() for s in c.sub_usecases or []}
    return usecase(c) == "MARKETING" or (usecase(c) in MIXED_USECASES and "MARKETING" in subs)


def samples(c: CampaignCreate) -> Iterator[tuple[str, str]]:
    for i, sample in enumerate(c.samples):
        yield f"campaign.samples[{i}]", sample


def message_texts(c: CampaignCreate) -> Iterator[tuple[str, str]]:
    """Text that reaches handsets or reviewers' browsers, where a link would be followed."""
    yield from samples(c)
    yield "campaign.messageFlow", c.message_flow
    yield "campaign.helpMessage", c.help_message
    if c.optin_message:
        yield "campaign.optinMessage", c.optin_message
    if c.optout_message:
        yield "campaign.optoutMessage", c.optout_message


def campaign_texts(c: CampaignCreate) -> Iterator[tuple[str, str]]:
    """All the campaign text a reviewer reads, with its wire path."""
    yield "campaign.name", c.name
    yield "campaign.description", c.description
    yield from message_texts(c)

