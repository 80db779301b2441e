"""The memo a run keeps (`workflows/memo.py`): what it holds, and how a new run adopts it."""

from __future__ import annotations

from datetime import UTC, datetime

from workflows.kinds import Kind
from workflows.memo import MEMO_KEY, Recorded
from workflows.state import OnboardingState

NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def earlier_state() -> OnboardingState:
    state = OnboardingState(onboarding_id="acme")
    o = state.objects
    o.number.id, o.number.number_string, o.number.stock_item_id = "n-1", "+14155550100", "s-1"
    o.brand.id = "b-1"
    state.scheduled = {"number": NOW, "brand": NOW, "vetting": NOW}  # the vetting's answer never came
    state.charge(Kind.NUMBER, "n-1", NOW, amount=1.0, currency="USD")
    state.charge(Kind.BRAND, "b-1", NOW)
    return state


def test_the_memo_holds_ids_schedules_and_charges_as_plain_json():
    memo = Recorded.of(earlier_state()).memo()
    value = memo[MEMO_KEY]
    assert value["ids"] == {"number": "n-1", "brand": "b-1"}
    assert set(value["scheduled"]) == {"number", "brand", "vetting"}
    assert [c["kind"] for c in value["charges"]] == ["number", "brand"]
    assert Recorded.model_validate(value) == Recorded.of(earlier_state())


def test_a_new_run_adopts_the_earlier_runs_objects_and_marks_its_charges():
    fresh = OnboardingState(onboarding_id="acme")
    Recorded.of(earlier_state()).adopt_into(fresh, NOW)
    assert (fresh.objects.number.id, fresh.objects.number.status, fresh.objects.brand.id) == ("n-1", "owned", "b-1")
    assert fresh.objects.number.monthly_price == 1.0
    assert fresh.objects.vetting.id is None and "vetting" in fresh.scheduled  # retried as a retry: it looks first
    assert all(c.earlier_run for c in fresh.charges) and len(fresh.charges) == 2
    assert "scheduled" not in fresh.status().model_dump()  # bookkeeping, not status


def test_nothing_recorded_is_empty():
    assert Recorded.of(OnboardingState(onboarding_id="acme")).empty()


def test_the_query_answers_without_the_connector_as_the_memo_did():
    # A new run finds the connector (and its channel) by listing since its first schedule, whether
    # what it starts from came from a generation-3 memo or from the `recorded` query.
    state = earlier_state()
    state.objects.connector.id, state.objects.channel.id = "c-1", "ch-1"
    state.scheduled["connector"] = NOW
    state.charge(Kind.CONNECTOR, "c-1", NOW)
    answer = Recorded.for_new_run(state)
    assert answer.ids == {"number": "n-1", "brand": "b-1"}
    assert [c.kind for c in answer.charges] == ["number", "brand"]
    assert "connector" in answer.scheduled
    assert Recorded.of(state).ids.keys() >= {"connector", "channel"}  # the state itself keeps them
