"""Pre-flight rules for a new brand: the US rules Bird states in prose but its schema does not
enforce, and the domains a reviewer compares."""

from __future__ import annotations

from collections.abc import Iterator

from intake.preflight import text
from intake.preflight.fields import is_us, new_brand, website_site
from intake.preflight.registry import Hit, rule
from intake.preflight.sources import AWS_REJECTIONS, BIRD_BRAND, BIRD_NORAM, HUB_REVIEW
from intake.request import OnboardingRequest

# USPS codes: the states, DC, the territories, and the military "states".
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC "
    "ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR GU VI AS MP AA AE AP".split()
)


@rule(
    "BRAND_EIN_FORMAT", "error", "brand.ein",
    "a US EIN is 9 digits (e.g. 123456789 or 12-3456789)",
    f"{BIRD_BRAND}: ein, 'EIN is 9-digits in the U.S.'",
)  # fmt: skip
def _ein(req: OnboardingRequest) -> Iterator[Hit]:
    brand = new_brand(req)
    if brand is None or brand.ein_issuing_country.upper() != "US":
        return
    ein = brand.ein.strip()
    dashed = len(ein) == 10 and ein[2] == "-" and (ein[:2] + ein[3:]).isdigit()
    if not (ein.isdigit() and len(ein) == 9) and not dashed:
        yield Hit("brand.ein", repr(brand.ein))


@rule(
    "BRAND_PHONE_E164", "error", "brand.phone",
    "phone must be E.164: +, country code, digits only",
    f"{BIRD_BRAND}: phone, 'Valid phone number in e.164 international format'",
)  # fmt: skip
def _phone(req: OnboardingRequest) -> Iterator[Hit]:
    brand = new_brand(req)
    if brand is None:
        return
    if not text.is_e164(brand.phone):
        yield Hit("brand.phone", repr(brand.phone))
    elif is_us(brand) and not (brand.phone.startswith("+1") and len(brand.phone) == 12):
        yield Hit("brand.phone", f"{brand.phone!r} is not a US number (+1 and 10 digits)")


@rule(
    "BRAND_STATE_CODE", "error", "brand.state",
    "a US state must be its 2-letter code (CA, NY, DC, ...)",
    f"{BIRD_BRAND}: state, 'Must be a 2 letter state code for US states'",
)  # fmt: skip
def _state(req: OnboardingRequest) -> Iterator[Hit]:
    brand = new_brand(req)
    if brand and is_us(brand) and brand.state not in US_STATES:
        yield Hit("brand.state", repr(brand.state))


@rule(
    "BRAND_POSTAL_CODE", "error", "brand.postalCode",
    "a US postal code must be a 5-digit ZIP",
    f"{BIRD_BRAND}: postalCode, 'Must be a 5 digit zip code for the United States'",
)  # fmt: skip
def _postal_code(req: OnboardingRequest) -> Iterator[Hit]:
    brand = new_brand(req)
    if brand and is_us(brand) and not (brand.postal_code.isdigit() and len(brand.postal_code) == 5):
        yield Hit("brand.postalCode", repr(brand.postal_code))


@rule(
    "BRAND_PUBLIC_STOCK", "error", "brand.stockSymbol / brand.stockExchange",
    "a PUBLIC_PROFIT brand needs its stock symbol and exchange",
    f"{BIRD_BRAND}: stockSymbol and stockExchange, 'Required for entityType PUBLIC'",
)  # fmt: skip
def _public_stock(req: OnboardingRequest) -> Iterator[Hit]:
    brand = new_brand(req)
    if brand is None or brand.entity_type != "PUBLIC_PROFIT":
        return
    if not (brand.stock_symbol or "").strip():
        yield Hit("brand.stockSymbol", "missing")
    if brand.stock_exchange in (None, "", "NONE"):
        yield Hit("brand.stockExchange", "NONE is not an exchange" if brand.stock_exchange else "missing")


@rule(
    "BRAND_ALT_ID_TYPE", "error", "brand.altBusinessIdType",
    "altBusinessId needs its altBusinessIdType (DUNS, GIIN or LEI)",
    f"{BIRD_BRAND}: altBusinessIdType, 'Required if altBusinessId is provided'",
)  # fmt: skip
def _alt_id_type(req: OnboardingRequest) -> Iterator[Hit]:
    brand = new_brand(req)
    if brand and (brand.alt_business_id or "").strip() and brand.alt_business_id_type in (None, "", "NONE"):
        yield Hit("brand.altBusinessIdType")


@rule(
    "BRAND_EMAIL_PUBLIC_DOMAIN", "warning", "brand.email",
    "the brand email should be on the business's own domain, not a public mailbox",
    f"{AWS_REJECTIONS} (BRAND_EMAIL_PUBLIC_DOMAIN); {HUB_REVIEW} (brand-specific email)",
)  # fmt: skip
def _email_public(req: OnboardingRequest) -> Iterator[Hit]:
    brand = new_brand(req)
    if brand and text.email_domain(brand.email) in text.PUBLIC_EMAIL_DOMAINS:
        yield Hit("brand.email", text.email_domain(brand.email))


@rule(
    "BRAND_DOMAINS_CONSISTENT", "warning", "brand.email",
    "the brand email and website should share one domain",
    f"{HUB_REVIEW} (email and website consistent); {BIRD_NORAM} (one recognizable business domain)",
)  # fmt: skip
def _domains(req: OnboardingRequest) -> Iterator[Hit]:
    brand = new_brand(req)
    if brand is None:
        return
    email = text.email_domain(brand.email)
    website = website_site(req)
    # a public mailbox is BRAND_EMAIL_PUBLIC_DOMAIN already
    if email and website and email not in text.PUBLIC_EMAIL_DOMAINS and text.site(email) != website:
        yield Hit("brand.email", f"{email} vs website {website}")

