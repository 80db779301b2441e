"""The request examples printed in Bird's guide (Bird's US 10DLC API Installation guide), shared
by the model tests and the sandbox tests. The campaign example is invalid under Bird's own schema
(a 31-character description): both check that it is refused for that alone."""

GUIDE_BRAND = {
    "country": "US", "displayName": "ABC Mobile", "email": "johndoe@abc.com", "entityType": "PRIVATE_PROFIT",
    "phone": "+12024567890", "street": "123 6th Ave", "city": "New York", "state": "NY", "postalCode": "10001",
    "companyName": "ABC Inc.", "ein": "111111111", "einIssuingCountry": "US", "website": "https://example.com",
}  # fmt: skip
GUIDE_VETTING = {"class": "STANDARD", "vettingProviderId": "AEGIS"}
GUIDE_BUY = {"numberStockItemIds": ["123e4567-e89b-12d3-a456-426614174000"]}
GUIDE_CONNECTOR = {
    "connectorTemplateRef": "sms-messagebird:1", "name": "SMS channel",
    "arguments": {"phoneNumberId": "", "useCaseId": "", "channelMessageType": ""},
    "channelConversationalStatusEnabled": True,
}  # fmt: skip
GUIDE_CAMPAIGN = {
    "name": "TEST", "usecase": "LOW_VOLUME", "subUsecases": ["MARKETING", "DELIVERY_NOTIFICATION", "2FA"],
    "description": "Internal use case for TEST ONLY", "embeddedLink": False, "embeddedPhone": False,
    "numberPool": False, "ageGated": False, "directLending": False, "subscriberOptin": True,
    "subscriberOptout": True, "subscriberHelp": True, "samples": ["This is a TEST MESSAGE"],
    "messageFlow": "this is an internal use case. They will only send to their own device and will not send to "
    "any external users. External users will only see SMS via screen-sharing during live or recorded demos.",
    "helpMessage": "send HELP to be connected to support", "helpKeywords": "HELP", "optoutKeywords": "STOP",
    "optinKeywords": "START", "optinMessage": "send Start to enable notifications and messages.",
    "optoutMessage": "send STOP to unsubscribe", "termsAndConditions": True,
}  # fmt: skip
