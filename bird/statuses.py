"""Bird's status strings the code decides on, in one place: the registry's (brands, vettings,
campaigns), the connector's checks, channels' and webhook subscriptions'."""

from __future__ import annotations

# Bird's 10DLC guide: campaigns are created as DRAFT and move to PENDING; brands and vettings start PENDING;
# TCR then approves or rejects. Anything not listed here is only displayed, never compared.

DRAFT = "DRAFT"
PENDING = "PENDING"
APPROVED = "APPROVED"
REJECTED = "REJECTED"
FAILED = "FAILED"
DECLINED = "DECLINED"  # a campaign the registry sends back for correction (PATCH resubmits it)
EXPIRED = "EXPIRED"  # a vetting that no longer counts

# The registry has not decided yet: polling goes on.
IN_PROGRESS = frozenset({DRAFT, PENDING})
# A brand can be corrected and sent again ("Update a brand") from these.
BRAND_RESUBMITTABLE = frozenset({REJECTED, FAILED})

# A connector check (and its assertions) that passes: `useCaseStatus` is ok once carriers linked
# the number to the campaign.
CHECK_OK = "ok"
# A channel carriers accept (channels/channel.updated).
CHANNEL_ACTIVE = "active"
# A webhook subscription that delivers.
SUBSCRIPTION_ACTIVE = "active"
