"""The onboarding state's rules, without Temporal: event ordering, dedupe, early events, records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bird.events import parse_time
from workflows.contract import BirdEvent, Step
from workflows.kinds import Kind
from workflows.options import poll_interval
from workflows.state import (
    SEEN_DELIVERIES_KEPT,
    Blocker,
    OnboardingState,
    supersedes,
)

T0 = datetime(2025, 3, 27, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)


def test_timestamps_order_statuses_when_both_sides_have_one():
    assert supersedes("PENDING", T0, "APPROVED", T1)
    assert not supersedes("APPROVED", T1, "PENDING", T0)
    # Bird's updatedAt says the later PENDING is newer (a resubmission): it wins
    assert supersedes("DECLINED", T0, "PENDING", T1)


def test_without_timestamps_a_decided_status_never_goes_back_to_pending():
    assert supersedes(None, None, "PENDING", None)
    assert supersedes("DRAFT", None, "PENDING", None)
    assert supersedes("PENDING", None, "APPROVED", T0)
    assert not supersedes("APPROVED", None, "PENDING", None)
    assert not supersedes("PENDING", None, "DRAFT", None)


def test_parse_time_reads_birds_format_and_tolerates_junk():
    assert parse_time("2025-03-27T09:00:00.000Z") == T0
    assert parse_time("") is None and parse_time("yesterday") is None


def brand_event(status: str, delivery_id: str, at: str | None = None, brand_id: str = "b-1") -> BirdEvent:
    payload = {"id": brand_id, "status": status, **({"updatedAt": at} if at else {})}
    return BirdEvent(service="numbers", event="10dlc.brand", payload=payload, delivery_id=delivery_id)


def state_with_brand() -> OnboardingState:
    state = OnboardingState(onboarding_id="acme")
    state.objects.brand.id = "b-1"
    state.objects.brand.observe("PENDING", T0, T0)
    return state


def test_events_are_deduped_by_delivery_and_stale_ones_ignored():
    state = state_with_brand()
    assert state.record_event(brand_event("APPROVED", "d1", "2025-03-27T10:00:00Z"), T1)
    assert not state.record_event(brand_event("APPROVED", "d1", "2025-03-27T10:00:00Z"), T1)
    assert not state.record_event(brand_event("PENDING", "d0", "2025-03-27T09:00:00Z"), T1)
    assert not state.record_event(brand_event("REJECTED", "d2", brand_id="someone-else"), T1)
    assert not state.record_event(BirdEvent(service="channels", event="sms.inbound", payload={"id": "x"}), T1)
    assert state.objects.brand.status == "APPROVED"
    assert (state.events_received, state.events_applied) == (5, 1)


def test_delivery_ids_kept_are_bounded():
    state = state_with_brand()
    for i in range(SEEN_DELIVERIES_KEPT + 10):
        state.record_event(brand_event("PENDING", f"d{i}"), T1)
    assert len(state.seen_deliveries) == SEEN_DELIVERIES_KEPT


def test_an_event_before_the_id_is_known_is_applied_once_it_is():
    state = OnboardingState(onboarding_id="acme")
    event = BirdEvent(service="numbers", event="10dlc.campaign", payload={"id": "c-1", "status": "APPROVED"}, delivery_id="d1")
    assert not state.record_event(event, T0)
    state.objects.campaign.id = "c-1"
    state.objects.campaign.observe("PENDING", None, T0)
    assert state.apply_early_events(T1)
    assert state.objects.campaign.status == "APPROVED" and state.early_events == []


def test_a_channel_event_for_our_connector_teaches_the_channel_id():
    state = OnboardingState(onboarding_id="acme")
    state.objects.connector.id = "k-1"
    event = BirdEvent(service="channels", event="channel.updated", payload={"id": "ch-1", "status": "active", "connectorId": "k-1"})
    assert state.record_event(event, T0)
    assert (state.objects.channel.id, state.objects.channel.status) == ("ch-1", "active")
    other = BirdEvent(service="channels", event="channel.updated", payload={"id": "ch-2", "status": "inactive", "connectorId": "k-9"})
    assert not state.record_event(other, T1)


def test_vetting_events_use_birds_go_style_names():
    state = OnboardingState(onboarding_id="acme")
    state.objects.vetting.id = "v-1"
    event = BirdEvent(service="numbers", event="10dlc.brandVetting", payload={"ID": "v-1", "Status": "EXPIRED", "updatedAt": "2025-03-27T09:00:00Z"})
    assert state.record_event(event, T0)
    assert state.objects.vetting.status == "EXPIRED"


def test_steps_charges_and_blocks_are_recorded_once():
    state = OnboardingState(onboarding_id="acme")
    state.enter(Step.BUY_NUMBER, T0)
    state.enter(Step.BUY_NUMBER, T0)  # again after continue-as-new
    state.finish(Step.BUY_NUMBER, T1, note="number +14155550100")
    state.finish(Step.AWAIT_BRAND, T1)  # never had to wait: an instant record
    state.skip(Step.VETTING, T1, "no vetting requested")
    state.skip(Step.VETTING, T1, "no vetting requested")
    assert [(r.step, r.outcome) for r in state.steps] == [
        (Step.BUY_NUMBER, "done"), (Step.AWAIT_BRAND, "done"), (Step.VETTING, "skipped"),
    ]  # fmt: skip
    state.charge(Kind.NUMBER, "n-1", T0, amount=1.0, currency="USD")
    state.charge(Kind.NUMBER, "n-1", T1)
    assert len(state.charges) == 1 and state.charges[0].recurring
    state.enter(Step.AWAIT_CAMPAIGN, T1)
    state.block(Blocker(step=Step.AWAIT_CAMPAIGN, kind=Kind.CAMPAIGN, reason="declined", since=T1))
    assert state.step == Step.NEEDS_ACTION and state.steps[-1].outcome == "blocked"
    status = state.status(history_length=42)
    assert status.history_length == 42 and not hasattr(status, "seen_deliveries")


def test_poll_interval_doubles_from_min_to_max():
    gaps = [poll_interval(60, 21600, n).total_seconds() for n in range(12)]
    assert gaps[:4] == [60, 120, 240, 480]
    assert gaps[-1] == 21600 and max(gaps) == 21600
    assert poll_interval(60, 21600, 10_000).total_seconds() == 21600


# -- what nothing from outside may do (issue 17) -----------------------------------------------


def test_parse_time_takes_only_zoned_iso_strings():
    assert parse_time("2025-03-27T11:00:00+02:00") == T0
    for odd in (1743066000, 1743066000.0, ["2025-03-27T09:00:00Z"], {"at": "x"}, "2025-03-27T09:00:00", True):
        assert parse_time(odd) is None, odd


def _brand_event(status: str, delivery: str, **payload) -> BirdEvent:
    return BirdEvent(
        service="numbers", event="10dlc.brand", payload={"id": "b-1", "status": status, **payload}, delivery_id=delivery
    )


def test_events_of_the_wrong_shape_are_dropped_and_counted_not_raised():
    state = OnboardingState(onboarding_id="o")
    state.objects.brand.id = "b-1"
    odd = [
        _brand_event("APPROVED", "d-1", updatedAt=1743066000),
        _brand_event("APPROVED", "d-2", updatedAt=["2025-03-27T09:00:00Z"]),
        _brand_event("APPROVED", "d-3", updatedAt="2025-03-27T09:00:00"),
        BirdEvent(service="channels", event="channel.updated", payload={"id": "c", "status": "active", "connectorId": 7}),
    ]
    for event in odd:
        assert state.record_event(event, T1) is False
    assert state.objects.brand.status is None
    assert (state.events_received, state.events_applied, state.events_dropped) == (4, 0, 4)
    assert state.last_drop_reason == "payload.connectorId: expected a string, got int"
    assert state.status().events_dropped == 4  # the status query shows it


def test_with_gets_winning_a_future_event_time_counts_as_now_and_birds_answer_replaces_events():
    state = OnboardingState(onboarding_id="o", gets_win=True)
    brand = state.objects.brand
    brand.id = "b-1"
    assert state.record_event(_brand_event("PENDING", "d-1", updatedAt="2030-01-01T00:00:00Z"), T0)
    assert brand.status_at == T0 and brand.from_event
    # the real approval, a little later in Bird's time, is no longer hidden by the 2030 date
    assert state.record_event(_brand_event("APPROVED", "d-2", updatedAt=(T0 + timedelta(minutes=5)).isoformat()), T1)
    assert brand.status == "APPROVED" and brand.from_event
    # Bird's GET says PENDING still (the event was premature): the GET wins, even against a later time
    assert brand.observe("PENDING", T0 - timedelta(days=1), T1, answer=True, gets_win=True)
    assert brand.status == "PENDING" and not brand.from_event
    assert "gets_win" not in state.status().model_dump()


def test_without_the_patch_the_old_ordering_holds():
    # onboardings that started before `bird-get-wins` replay with the rules they ran with
    state = OnboardingState(onboarding_id="o")
    brand = state.objects.brand
    brand.id = "b-1"
    assert state.record_event(_brand_event("PENDING", "d-1", updatedAt="2030-01-01T00:00:00Z"), T0)
    assert brand.status_at.year == 2030 and not brand.from_event
    assert not brand.observe("APPROVED", T1, T1, answer=True)
    assert brand.status == "PENDING"
