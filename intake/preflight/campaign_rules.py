"""Pre-flight rules for a new campaign: what reviewers read, the keywords and messages the
subscriber* flags promise, links and phone numbers, counts and declarations."""

from __future__ import annotations

from collections.abc import Iterator

from bird.models import CampaignCreate
from intake.preflight import text
from intake.preflight.fields import (
    MIXED_USECASES,
    brand_names,
    campaign_texts,
    is_marketing,
    message_texts,
    new_brand,
    samples,
    usecase,
    website_site,
)
from intake.preflight.registry import Hit, campaign_rule
from intake.preflight.sources import (
    BIRD_CAMPAIGN,
    BIRD_CONSENT,
    BIRD_GUIDE,
    BIRD_NORAM,
    CAMPAIGN_REJECTIONS,
    CTIA,
    HUB_REVIEW,
    TCR_602,
    TCR_30893,
    TCR_SAMPLES,
)
from intake.request import OnboardingRequest

# --- campaign: what reviewers read ---------------------------------------------------------------


@campaign_rule(
    "CAMPAIGN_PLACEHOLDER_TEXT", "error", "campaign text fields, brand name/website/email",
    "placeholder text is refused (lorem, ipsum, test, xxx, TBD, example.com, [name])",
    f"{TCR_30893} (placeholders); {BIRD_GUIDE}: most rejections are unclear or incomplete description/messageFlow",
)  # fmt: skip
def _placeholders(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    fields = list(campaign_texts(campaign))
    if brand := new_brand(req):
        fields += [
            ("brand.displayName", brand.display_name),
            ("brand.companyName", brand.company_name),
            ("brand.website", brand.website),
            ("brand.email", brand.email),
        ]
    # the brand's own names (not its website's, which "example.com" would hide)
    names = [brand.display_name, brand.company_name] if (brand := new_brand(req)) else []
    for field, value in fields:
        if found := text.placeholder(value, names):
            yield Hit(field, repr(found))


@campaign_rule(
    "CAMPAIGN_BRAND_IN_SAMPLES", "error", "campaign.samples[i]",
    "every sample must name the brand (displayName, companyName or website name)",
    f"{TCR_30893} (missing brand name); {HUB_REVIEW} (brand identity in message content)",
)  # fmt: skip
def _brand_in_samples(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    names = brand_names(req)
    if not names:
        return
    for field, sample in samples(campaign):
        if not text.names_brand(sample, names):
            yield Hit(field, f"expected {names[0]!r}")


@campaign_rule(
    "CAMPAIGN_MARKETING_OPT_OUT", "error", "campaign.samples",
    "marketing must show opt-out wording (e.g. Reply STOP) in the samples or messageFlow",
    f"{CTIA} §5.1.3 Consumer Opt-Out; {BIRD_CONSENT} (opt-out instructions); {CAMPAIGN_REJECTIONS}",
)  # fmt: skip
def _marketing_opt_out(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    c = campaign
    if is_marketing(c) and not any(text.has_opt_out(t) for t in [*c.samples, c.message_flow]):
        yield Hit("campaign.samples")


@campaign_rule(
    "CAMPAIGN_SAMPLES_OPT_OUT", "warning", "campaign.samples",
    "no sample shows how to opt out (e.g. Reply STOP)",
    f"{CTIA} §5.1.3 Consumer Opt-Out; {TCR_30893} (missing opt-out instructions)",
)  # fmt: skip
def _samples_opt_out(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    c = campaign
    if any(text.has_opt_out(s) for s in c.samples):
        return
    if is_marketing(c) and not text.has_opt_out(c.message_flow):
        return  # already CAMPAIGN_MARKETING_OPT_OUT, an error
    yield Hit("campaign.samples")


@campaign_rule(
    "CAMPAIGN_OPT_IN_FLOW", "error", "campaign.messageFlow",
    "messageFlow must say how people opt in (consent, sign-up, keyword, checkbox)",
    f"{BIRD_CAMPAIGN}: messageFlow, 'Provide details of how the customer will opt into this campaign'; "
    f"{BIRD_CONSENT}; {CTIA} §5.1.2 Consumer Opt-In",
)  # fmt: skip
def _opt_in_flow(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    if not text.describes_opt_in(campaign.message_flow):
        yield Hit("campaign.messageFlow")


@campaign_rule(
    "CAMPAIGN_CONSENT_FLAGS", "warning", "campaign.subscriberOptin / subscriberOptout / subscriberHelp",
    "carriers expect opt-in, opt-out and HELP handling to be confirmed (true)",
    f"{CTIA} §5.1.2-5.1.3; TCR per-carrier reqSubscriberOptin/reqSubscriberOptout/reqSubscriberHelp "
    "(campaign qualify API)",
)  # fmt: skip
def _consent_flags(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    c = campaign
    flags = {"subscriberOptin": c.subscriber_optin, "subscriberOptout": c.subscriber_optout,
             "subscriberHelp": c.subscriber_help}  # fmt: skip
    for field, value in flags.items():
        if value is not True:
            yield Hit(f"campaign.{field}", "not set" if value is None else "false")


@campaign_rule(
    "CAMPAIGN_HELP_MESSAGE", "error", "campaign.helpMessage",
    "helpMessage must state the service name, a contact (email or phone), and the opt-out and opt-in keywords",
    f"{BIRD_CAMPAIGN}: helpMessage, 'shall state the name of the service, contact (email or call centre), "
    "OPT IN and OPT OUT keywords'",
)  # fmt: skip
def _help_message(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    c = campaign
    message = c.help_message
    missing = []
    if (names := brand_names(req)) and not text.names_brand(message, names):
        missing.append("service name")
    if not (text.has_email(message) or text.has_phone(message)):
        missing.append("contact")
    if not text.has_keyword(message, [*text.OPT_OUT_WORDS, *text.keyword_list(c.optout_keywords)]):
        missing.append("opt-out keyword")
    if not text.has_keyword(message, [*text.OPT_IN_WORDS, *text.keyword_list(c.optin_keywords)]):
        missing.append("opt-in keyword")
    if missing:
        yield Hit("campaign.helpMessage", "missing " + ", ".join(missing))


# --- campaign: keywords and messages the subscriber* flags promise ---------------------------------


def _lacks(word: str, flag: bool | None, given: str | None, field: str) -> Iterator[Hit]:
    # Keywords given without the flag still go to the registry, so they must be complete too.
    if (flag or given is not None) and word not in text.keyword_list(given):
        yield Hit(field, "missing" if given is None else repr(given))


def _absent(flag: bool | None, message: str | None, field: str) -> Iterator[Hit]:
    if flag and not (message or "").strip():
        yield Hit(field, "missing")


@campaign_rule(
    "CAMPAIGN_HELP_KEYWORDS", "error", "campaign.helpKeywords",
    "helpKeywords must include HELP",
    f"{BIRD_CAMPAIGN}: helpKeywords, 'Support of the word HELP is the minimum requirement for requesting help/info'",
)  # fmt: skip
def _help_keywords(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    c = campaign
    yield from _lacks("HELP", c.subscriber_help, c.help_keywords, "campaign.helpKeywords")


@campaign_rule(
    "CAMPAIGN_OPT_IN_KEYWORDS", "error", "campaign.optinKeywords",
    "optinKeywords must include START",
    f"{BIRD_CAMPAIGN}: optinKeywords, 'Support of the word START is the minimum requirement'",
)  # fmt: skip
def _opt_in_keywords(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    c = campaign
    yield from _lacks("START", c.subscriber_optin, c.optin_keywords, "campaign.optinKeywords")


@campaign_rule(
    "CAMPAIGN_OPT_IN_MESSAGE", "error", "campaign.optinMessage",
    "subscriberOptin is true, so optinMessage must give the confirmation sent",
    f"{BIRD_CAMPAIGN}: optinMessage, 'Provide an example of the message that will be sent after a customer "
    f"has opted in'; {CTIA} §5.1.2.1 Confirm Opt-In",
)  # fmt: skip
def _opt_in_message(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    c = campaign
    yield from _absent(c.subscriber_optin, c.optin_message, "campaign.optinMessage")


@campaign_rule(
    "CAMPAIGN_OPT_OUT_KEYWORDS", "error", "campaign.optoutKeywords",
    "optoutKeywords must include STOP",
    f"{BIRD_CAMPAIGN}: optoutKeywords, 'Support of the word STOP is the minimum requirement for OPT OUT'",
)  # fmt: skip
def _opt_out_keywords(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    c = campaign
    yield from _lacks("STOP", c.subscriber_optout, c.optout_keywords, "campaign.optoutKeywords")


@campaign_rule(
    "CAMPAIGN_OPT_OUT_MESSAGE", "error", "campaign.optoutMessage",
    "subscriberOptout is true, so optoutMessage must give the confirmation sent",
    f"{BIRD_CAMPAIGN}: optoutMessage, 'Provide an example of the message that will be sent after a customer "
    f"has opted out'; {CTIA} §5.1.3 Consumer Opt-Out",
)  # fmt: skip
def _opt_out_message(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    c = campaign
    yield from _absent(c.subscriber_optout, c.optout_message, "campaign.optoutMessage")


# --- campaign: links and phone numbers -------------------------------------------------------------


def _flag_agrees(flag: bool | None, present: list[str], field: str, what: str) -> Iterator[Hit]:
    if flag and not present:
        yield Hit(field, f"is true but no sample contains a {what}")
    elif not flag and present:
        verb = "contains" if len(present) == 1 else "contain"
        yield Hit(field, f"is {'false' if flag is False else 'not set'} but {', '.join(present)} {verb} a {what}")


@campaign_rule(
    "CAMPAIGN_EMBEDDED_LINK", "error", "campaign.embeddedLink",
    "embeddedLink must agree with the samples",
    f"{BIRD_CAMPAIGN}: embeddedLink, 'Provide at least one sample containing a link'; "
    f"{CTIA} §5.3.2 Embedded Website Links",
)  # fmt: skip
def _embedded_link(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    present = [field for field, sample in samples(campaign) if text.links(sample)]
    yield from _flag_agrees(campaign.embedded_link, present, "campaign.embeddedLink", "link")


@campaign_rule(
    "CAMPAIGN_EMBEDDED_PHONE", "error", "campaign.embeddedPhone",
    "embeddedPhone must agree with the samples",
    f"{BIRD_CAMPAIGN}: embeddedPhone, 'Provide at least one sample containing a phone number'; "
    f"{CTIA} §5.3.3 Embedded Phone Numbers",
)  # fmt: skip
def _embedded_phone(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    present = [field for field, sample in samples(campaign) if text.has_phone(sample)]
    yield from _flag_agrees(campaign.embedded_phone, present, "campaign.embeddedPhone", "phone number")


@campaign_rule(
    "CAMPAIGN_LINK_SHORTENER", "error", "campaign samples, messageFlow, messages",
    "public link shorteners (bit.ly, tinyurl, ...) are not allowed; use the brand's own domain",
    f"{BIRD_NORAM} ('Public URL shorteners are not allowed'); {TCR_30893}; {CTIA} §5.3.2",
)  # fmt: skip
def _shorteners(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    for field, value in message_texts(campaign):
        for link in text.links(value):
            if text.host(link) in text.PUBLIC_SHORTENERS:
                yield Hit(field, link)


@campaign_rule(
    "CAMPAIGN_LINK_DOMAIN", "warning", "campaign samples, messageFlow, messages",
    "links should be on the brand website's domain",
    f"{BIRD_NORAM} ('each messaging program should be associated with a single business's web domain'); "
    f"{HUB_REVIEW}",
)  # fmt: skip
def _link_domain(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    website = website_site(req)
    if not website:
        return
    for field, value in message_texts(campaign):
        for link in text.links(value):
            name = text.host(link)
            if name not in text.PUBLIC_SHORTENERS and text.site(name) != website:
                yield Hit(field, f"{link} is not on {website}")


# --- campaign: counts and declarations -------------------------------------------------------------

# Bird accepts 1-5 samples (create-campaign.json); carriers ask for 2 or more, so one is a
# warning: Bird takes it, a reviewer may not.
MIN_SAMPLES = 2

# TCR's standard use cases, the only ones a MIXED / LOW_VOLUME campaign may combine.
SUB_USECASES = frozenset({
    "2FA", "ACCOUNT_NOTIFICATION", "CUSTOMER_CARE", "DELIVERY_NOTIFICATION", "FRAUD_ALERT",
    "HIGHER_EDUCATION", "MARKETING", "POLLING_VOTING", "PUBLIC_SERVICE_ANNOUNCEMENT", "SECURITY_ALERT",
})  # fmt: skip


@campaign_rule(
    "CAMPAIGN_SAMPLE_COUNT", "warning", "campaign.samples",
    f"carriers ask for at least {MIN_SAMPLES} samples",
    TCR_SAMPLES,
)  # fmt: skip
def _sample_count(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    if len(campaign.samples) < MIN_SAMPLES:
        yield Hit("campaign.samples", f"{len(campaign.samples)} given")


@campaign_rule(
    "CAMPAIGN_SUB_USECASES", "error", "campaign.subUsecases",
    "MIXED and LOW_VOLUME need 2-5 standard sub use cases",
    f"{BIRD_CAMPAIGN}: subUsecases, 'If use case is MIXED or LOW_VOLUME mixed an array of 2-5 use cases'; "
    "TCR sub-use-case enum",
)  # fmt: skip
def _sub_usecases(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    c = campaign
    if usecase(c) not in MIXED_USECASES:
        return
    subs = c.sub_usecases or []
    if not 2 <= len(subs) <= 5:
        yield Hit("campaign.subUsecases", f"{len(subs)} given")
    for i, sub in enumerate(subs):
        if sub.upper() not in SUB_USECASES:
            yield Hit(f"campaign.subUsecases[{i}]", f"{sub!r} is not a standard use case")


@campaign_rule(
    "CAMPAIGN_SAMPLES_PER_SUB_USECASE", "warning", "campaign.samples",
    "a MIXED campaign should show a sample for each sub use case",
    TCR_602,
)  # fmt: skip
def _samples_per_sub_usecase(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    c = campaign
    subs = c.sub_usecases or []
    if usecase(c) in MIXED_USECASES and len(c.samples) < min(len(subs), 5):
        yield Hit("campaign.samples", f"{len(c.samples)} samples for {len(subs)} sub use cases")


@campaign_rule(
    "CAMPAIGN_AGE_GATED", "warning", "campaign.ageGated",
    "content mentions alcohol, tobacco, cannabis, firearms or gambling but ageGated is not true",
    f"{BIRD_CAMPAIGN}: ageGated, 'age-gated content based on carrier/ctia guidelines'; "
    f"{CAMPAIGN_REJECTIONS} (SHAFT-C); {CTIA} §5.3 Content",
)  # fmt: skip
def _age_gated(req: OnboardingRequest, campaign: CampaignCreate) -> Iterator[Hit]:
    c = campaign
    if c.age_gated:
        return
    for field, value in campaign_texts(c):
        if found := text.age_gated(value):
            category, word = found
            yield Hit("campaign.ageGated", f"{category} ({word!r} in {field})")
            return
