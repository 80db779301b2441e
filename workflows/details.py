"""What the Temporal UI shows of an onboarding, and what a person is told: the current details
(Markdown, kept true at every step), the command that moves a stopped onboarding forward, and the
notifications. Plain functions of the state, so that they are unit-testable and replay-safe."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.notify import CANCELLED, DONE, NEEDS_ACTION, Notification, NotificationData
    from workflows.contract import Step, workflow_id_for
    from workflows.kinds import Kind
    from workflows.state import OnboardingState

_TIME = "%Y-%m-%d %H:%M UTC"


def next_command(state: OnboardingState) -> str:
    """The exact `tendlc` command that moves a stopped onboarding forward ("" when none is due)."""
    blocker, oid = state.blocked, state.onboarding_id
    if state.step != Step.NEEDS_ACTION or blocker is None:
        return ""
    if blocker.deadline_at is not None:
        return f"tendlc extend-deadline {oid} --days N"
    if blocker.kind == Kind.CAMPAIGN:
        fee = "" if blocker.status == "DECLINED" else " --confirm-new-fee"
        return f"tendlc resubmit-campaign {oid} --file changes.json{fee}"
    if blocker.kind == Kind.BRAND:
        return f"tendlc resubmit-brand {oid} --file changes.json"
    if blocker.kind == Kind.VETTING:
        return f"tendlc retry {oid} --file corrections.json --confirm-new-fee"
    return f"tendlc retry {oid} --file corrections.json"


def bird_ids(state: OnboardingState) -> dict[str, str]:
    """Every Bird object the onboarding holds, by kind."""
    ids = {kind.value: state.objects.get(kind).id for kind in Kind}
    return {kind: object_id for kind, object_id in ids.items() if object_id}


def _when(at: datetime | None) -> str:
    return at.strftime(_TIME) if at is not None else "—"


def current_details(state: OnboardingState) -> str:
    """Markdown for the UI's "Current Details": where the onboarding stands and what comes next."""
    lines = [f"**{state.step.value}** · onboarding `{state.onboarding_id}`", ""]
    blocker, waiting = state.blocked, state.waiting
    if state.step == Step.NEEDS_ACTION and blocker is not None:
        lines += [
            f"Needs a person since {_when(blocker.since)} at {blocker.step.value}.",
            "",
            f"Reason: {blocker.reason}",
            "",
            f"Next: `{next_command(state)}` (or `tendlc cancel {state.onboarding_id} --reason ...`)",
        ]
    elif waiting is not None:
        lines += [
            f"Waiting for {waiting.what} since {_when(waiting.since)} (webhook, or the next poll).",
            "",
            f"- next poll: {_when(waiting.next_poll_at)} (polls so far: {waiting.polls})",
            f"- last seen: {waiting.last_polled_status or '—'}",
            f"- deadline: {_when(waiting.deadline_at)}",
        ]
    elif state.step == Step.DONE:
        o = state.objects
        lines.append(f"Ready: channel {o.channel.id or '?'} on number {o.number.number_string or o.number.id or '?'}.")
    elif state.step == Step.CANCELLED:
        note = state.steps[-1].note if state.steps else ""
        lines.append(f"Cancelled: {note}. Still billed: {', '.join(c.fee for c in state.charges) or 'nothing'}.")
    else:
        lines.append(f"Working on {state.step.value} since {_when(state.updated_at)}.")
    ids = bird_ids(state)
    if ids:
        lines += ["", "Bird: " + ", ".join(f"{kind} `{object_id}`" for kind, object_id in ids.items())]
    return "\n".join(lines)


def notification(state: OnboardingState, kind: str, number: int, now: datetime) -> Notification:
    """The notification for the onboarding as it stands; `number` makes its webhook-id unique
    within the onboarding and the same on every retry."""
    workflow_id = workflow_id_for(state.onboarding_id)
    oid, blocker = state.onboarding_id, state.blocked
    if kind == NEEDS_ACTION and blocker is not None:
        step, reason, action = blocker.step.value, blocker.reason, next_command(state)
        text = f"Onboarding {oid} needs a person at {step}: {reason}. Run: {action}"
    elif kind == DONE:
        o = state.objects
        step, reason, action = Step.DONE.value, "", ""
        text = f"Onboarding {oid} is DONE: channel {o.channel.id or '?'} on number {o.number.number_string or '?'}."
    else:
        step, action = Step.CANCELLED.value, ""
        reason = state.steps[-1].note if state.steps else ""
        text = f"Onboarding {oid} was CANCELLED: {reason}."
    return Notification(
        webhook_id=f"msg_{workflow_id}_{number}_{kind.rsplit('.', 1)[-1]}",
        type=kind,
        timestamp=now,
        data=NotificationData(
            onboarding_id=oid, workflow_id=workflow_id, step=step, reason=reason, action=action, bird_ids=bird_ids(state)
        ),
        text=" ".join(text.split()),
    )


__all__ = ["CANCELLED", "DONE", "NEEDS_ACTION", "current_details", "next_command", "notification"]
