"""Where each pre-flight rule comes from: the citations a finding carries in its `source`.
docs/preflight.md gives the same, with the sections quoted."""

BIRD_BRAND = "Bird OpenAPI create-workspace-brand.json"
BIRD_CAMPAIGN = "Bird OpenAPI create-campaign.json"
BIRD_GUIDE = "Bird, US 10DLC API Installation, 'Register a new campaign with the campaign registry'"
BIRD_NORAM = (
    "Bird, Messaging Best Practices - NORAM SMS/MMS, https://docs.bird.com/applications/channels/channels/"
    "supported-channels/sms/concepts/choose-the-right-sender-availability-and-restrictions-by-country/"
    "north-america/messaging-best-practices-noram-sms-mms"
)
BIRD_CONSENT = (
    "Bird, Setting up a consent gathering flow, https://docs.bird.com/applications/channels/channels/"
    "supported-channels/sms/concepts/sms-registration/setting-up-a-consent-gathering-flow"
)
CTIA = "CTIA Messaging Principles and Best Practices (May 2023)"
TCR_30893 = (
    "TCR code 30893 (invalid sample messages), "
    "https://mytcrplus.com/fix-tcr-error/fix-tcr-code-30893-invalid-sample-messages"
)
TCR_602 = (
    "TCR code 602 (use case mismatches sample messages), "
    "https://mytcrplus.com/fix-tcr-error/fix-tcr-code-602-use-case-mismatches-sample-messages"
)
TCR_SAMPLES = (
    "TCR per-carrier minMsgSamples (campaign qualify API); Twilio's TCR campaign API, message samples "
    "'min two and max five', https://www.twilio.com/docs/messaging/api/usapptoperson-resource"
)
HUB_REVIEW = (
    "10DLC Hub Manual Review Guide, "
    "https://support.goconvey.com/hc/en-us/articles/44742761852563-10DLC-Hub-Manual-Review-Guide"
)
AWS_REJECTIONS = (
    "AWS End User Messaging, rejection troubleshooting, "
    "https://docs.aws.amazon.com/sms-voice/latest/userguide/registration-help-rejection-troubleshooting.html"
)
CAMPAIGN_REJECTIONS = (
    "Campaign Rejections, https://support.linkedip.com/hc/en-us/articles/35601693000845-Campaign-Rejections"
)
