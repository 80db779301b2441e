"""`tendlc webhooks setup` and `ensure_subscriptions` against a fake Bird: list first, create only
what is missing, never a duplicate, however often it runs."""

from __future__ import annotations

import argparse
import json
import uuid

import httpx

from bird.client import BirdClient
from bird.events import SUBSCRIBED_EVENTS
from relay import setup
from relay.subscriptions import ensure_subscriptions
from runtime.settings import StarterSettings
from starter.cli import main
from tests.relay.helpers import KEY, OLD_KEY, PUBLIC_URL

ORG = "3d0f2d3a-7a55-4d0e-9b3c-0c7f6f1b8a01"
WS = "5b6c1e2f-8d9a-4b3c-a1e2-f3d4c5b6a7e8"
ACCESS_KEY = "bird-access-key-for-tests"
PATH = f"/organizations/{ORG}/workspaces/{WS}/webhook-subscriptions"


class FakeBird:
    """Bird's webhook-subscription list and create, paged two at a time to exercise paging."""

    def __init__(self, status_code: int = 201) -> None:
        self.subscriptions: list[dict] = []
        self.created: list[dict] = []
        self.status_code = status_code
        self.transport = httpx.MockTransport(self.handle)

    def add(self, service: str, event: str, url: str = PUBLIC_URL, **extra) -> dict:
        sub = {"id": str(uuid.uuid4()), "organizationId": ORG, "workspaceId": WS, "service": service,
               "event": event, "url": url, "status": "active", **extra}  # fmt: skip
        self.subscriptions.append(sub)
        return sub

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"AccessKey {ACCESS_KEY}"
        assert request.url.path == PATH
        if request.method == "GET":
            start = int(request.url.params.get("pageToken", "0"))
            page = {"results": self.subscriptions[start : start + 2]}
            if start + 2 < len(self.subscriptions):
                page["nextPageToken"] = str(start + 2)
            return httpx.Response(200, json=page)
        body = json.loads(request.content)
        if self.status_code != 201:
            return httpx.Response(self.status_code, json={"code": "InvalidPayload", "message": "url is not allowed"})
        self.created.append(body)
        sub = self.add(body["service"], body["event"], body["url"], signingKey=body.get("signingKey"))
        return httpx.Response(201, json=sub)


def settings(**overrides) -> StarterSettings:
    values = dict(bird_api_base_url="https://api.bird.test", bird_access_key=ACCESS_KEY, bird_organization_id=ORG,
                  bird_workspace_id=WS, bird_signing_key=KEY, relay_public_url=PUBLIC_URL, relay_signing_keys=None)  # fmt: skip
    values.update(overrides)
    return StarterSettings(_env_file=None, **values)


def args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    setup.configure(parser)
    return parser.parse_args(["setup", *argv])


def run(bird: FakeBird, *argv: str, bird_overrides=None, relay_overrides=None) -> int:
    overrides = {**(bird_overrides or {}), **(relay_overrides or {})}
    return setup.run(args(*argv), settings=settings(**overrides), transport=bird.transport)


def test_setup_creates_the_four_subscriptions_then_nothing(capsys):
    bird = FakeBird()
    assert run(bird) == 0
    assert sorted((c["service"], c["event"]) for c in bird.created) == sorted(SUBSCRIBED_EVENTS)
    for body in bird.created:
        assert body["url"] == PUBLIC_URL and body["signingKey"] == KEY and "eventFilters" not in body
    out = capsys.readouterr().out
    assert out.count("created") == 4
    assert KEY not in out

    # a rerun lists (across pages) and finds all four
    assert run(bird) == 0
    assert run(bird) == 0
    assert len(bird.created) == 4
    assert capsys.readouterr().out.count("exists") == 8


def test_setup_creates_only_what_is_missing():
    bird = FakeBird()
    bird.add("channels", "sms.inbound", "https://other.example.com/in")  # someone else's
    bird.add("numbers", "10dlc.brand", "https://old-relay.example.com/webhooks/bird")  # another URL
    bird.add("numbers", "10dlc.brand", PUBLIC_URL + "/")  # not byte for byte: signatures would differ
    bird.add("channels", "channel.updated", PUBLIC_URL, eventFilters=[{"key": "channelId", "value": str(uuid.uuid4())}])
    bird.add("numbers", "10dlc.campaign")
    assert run(bird) == 0
    assert sorted((c["service"], c["event"]) for c in bird.created) == [
        ("channels", "channel.updated"), ("numbers", "10dlc.brand"), ("numbers", "10dlc.vetting"),
    ]  # fmt: skip


def test_an_inactive_subscription_is_reported_not_duplicated(capsys):
    bird = FakeBird()
    for service, event in SUBSCRIBED_EVENTS:
        bird.add(service, event)
    bird.subscriptions[0]["status"] = "inactive"
    assert run(bird) == 1
    assert bird.created == []
    err = capsys.readouterr().err
    assert "is inactive" in err and SUBSCRIBED_EVENTS[0][1] in err


def test_keys_bird_reports_are_checked_against_the_relays(capsys):
    bird = FakeBird()
    bird.add("numbers", "10dlc.brand", signingKey=OLD_KEY)
    bird.add("numbers", "10dlc.campaign", signingKey="unknown-key")
    bird.add("numbers", "10dlc.vetting", signingKey=KEY)
    assert run(bird, relay_overrides={"relay_signing_keys": OLD_KEY}) == 1
    assert [(c["service"], c["event"]) for c in bird.created] == [("channels", "channel.updated")]
    err = capsys.readouterr().err
    assert "10dlc.brand" in err and "older key" in err
    assert "10dlc.campaign" in err and "does not accept" in err
    assert "10dlc.vetting" not in err
    assert OLD_KEY not in err and "unknown-key" not in err


def test_dry_run_creates_nothing(capsys):
    bird = FakeBird()
    bird.add("numbers", "10dlc.brand")
    assert run(bird, "--dry-run") == 0
    assert bird.created == []
    out = capsys.readouterr().out
    assert out.count("would be created") == 3 and "exists" in out


def test_ids_on_the_command_line_win():
    bird = FakeBird()
    assert run(bird, "--organization-id", ORG, "--workspace-id", WS,
               bird_overrides={"bird_organization_id": None, "bird_workspace_id": None}) == 0  # fmt: skip
    assert len(bird.created) == 4


def test_missing_settings_are_each_named(capsys):
    bird = FakeBird()
    code = run(bird, bird_overrides={"bird_organization_id": None, "bird_workspace_id": None, "bird_signing_key": None},
               relay_overrides={"relay_public_url": None})  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    for name in ("BIRD_ORGANIZATION_ID", "BIRD_WORKSPACE_ID", "BIRD_SIGNING_KEY", "RELAY_PUBLIC_URL"):
        assert name in err
    assert bird.subscriptions == []


def test_a_url_bird_refuses_is_reported_before_any_call(capsys):
    bird = FakeBird()
    assert run(bird, relay_overrides={"relay_public_url": "http://localhost:8788/webhooks/bird"}) == 2
    assert "public https" in capsys.readouterr().err
    assert bird.created == []


def test_a_bird_refusal_is_reported(capsys):
    bird = FakeBird(status_code=422)
    assert run(bird) == 1
    err = capsys.readouterr().err
    assert "Bird refused" in err and ACCESS_KEY not in err


def test_the_command_is_registered_and_reads_the_environment(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("BIRD_ORGANIZATION_ID", "BIRD_WORKSPACE_ID", "BIRD_ACCESS_KEY", "BIRD_SIGNING_KEY", "RELAY_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BIRD_WORKSPACE_ID", WS)
    assert main(["webhooks", "setup"]) == 2
    err = capsys.readouterr().err
    assert "BIRD_ORGANIZATION_ID" in err and "BIRD_ACCESS_KEY" in err and "BIRD_WORKSPACE_ID" not in err


async def test_a_second_run_finds_what_the_first_created():
    bird = FakeBird()
    async with BirdClient(ACCESS_KEY, base_url="https://api.bird.test", transport=bird.transport) as client:
        ensure = dict(organization_id=ORG, workspace_id=WS, url=PUBLIC_URL, signing_key=KEY)
        first = await ensure_subscriptions(client, **ensure)
        second = await ensure_subscriptions(client, **ensure)
    assert len(first.created) == 4 and first.existing == []
    assert second.created == [] and len(second.existing) == 4
    assert {s.id for s in first.created} == {s.id for s in second.existing}
    assert len(bird.subscriptions) == 4
    assert KEY not in first.model_dump_json()
