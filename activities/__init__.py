"""One activity per Bird operation, grouped by resource; each class holds the process's BirdClient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.brands import BrandActivities
from activities.campaigns import CampaignActivities
from activities.claims import StockClaims
from activities.connectors import ConnectorActivities
from activities.numbers import NumberActivities
from bird.client import BirdClient


def onboarding_activities(bird: BirdClient, claims: StockClaims | None = None) -> list[Callable[..., Any]]:
    """Every activity the onboarding workflow calls, bound to one client (one pool, one key).
    `claims`: how `choose_number` claims a stock item (the worker's: activities/claims.py); None
    claims nothing."""
    numbers, brands = NumberActivities(bird, claims), BrandActivities(bird)
    campaigns, connectors = CampaignActivities(bird), ConnectorActivities(bird)
    return [
        numbers.choose_number,
        numbers.buy_number,
        brands.create_brand,
        brands.get_brand,
        brands.poll_brand,
        brands.update_brand,
        brands.create_vetting,
        brands.get_vetting,
        brands.poll_vetting,
        campaigns.create_campaign,
        campaigns.get_campaign,
        campaigns.poll_campaign,
        campaigns.patch_campaign,
        connectors.install_connector,
        connectors.get_connector,
        connectors.poll_connector,
    ]
