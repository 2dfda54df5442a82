"""The briefs the export tests design from: the flagship and three briefs of ../shared/briefs/dev.json of
different shapes (an event-sourced, audited flow with FULL_TRANSITIVE contracts and 30-day audit topics, high-rate
IoT telemetry, and a saga-heavy booking under a sales spike). Written out here so the tests do not need the file."""

FLAGSHIP = "order fulfillment across payments, inventory, and shipping"
LOAN_ORIGINATION = (
    "Consumer loan origination: applicants apply online, a credit bureau check and automated underwriting decide, "
    "contracts are e-signed and the money is disbursed. Regulators require a 10 year audit trail."
)
SMART_METERS = (
    "Smart electricity meters: 2 million meters report readings every 15 minutes; bills are computed monthly and "
    "outages trigger alerts to field crews."
)
CONCERT_TICKETING = (
    "Concert ticketing: fans hold seats for 10 minutes, pay, and receive e-tickets; unpaid holds expire; 50k "
    "purchases per minute when a big show goes on sale."
)
BRIEFS = [FLAGSHIP, LOAN_ORIGINATION, SMART_METERS, CONCERT_TICKETING]
