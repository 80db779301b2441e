"""`tendlc webhooks setup`: make sure the workspace's webhook subscriptions point at the relay.

Safe to rerun: it lists first and creates only what is missing (relay/subscriptions.py).
Exit codes: 0 all four in place, 1 a Bird error or a subscription that needs a person, 2 settings.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import httpx

from bird.errors import BirdError
from relay.subscriptions import WebhookSetupResult, ensure_subscriptions
from runtime.settings import StarterSettings


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    setup = sub.add_parser("setup", help="create the missing subscriptions (10DLC brand, campaign, vetting; channel updates)")
    setup.add_argument("--organization-id", help="default: BIRD_ORGANIZATION_ID")
    setup.add_argument("--workspace-id", help="default: BIRD_WORKSPACE_ID")
    setup.add_argument("--dry-run", action="store_true", help="list what would be created, create nothing")


def missing_settings(settings: StarterSettings, args: argparse.Namespace) -> list[str]:
    """Every setting the command needs and lacks, by its environment name."""
    missing = []
    if not (args.organization_id or settings.bird_organization_id):
        missing.append("BIRD_ORGANIZATION_ID (or --organization-id)")
    if not (args.workspace_id or settings.bird_workspace_id):
        missing.append("BIRD_WORKSPACE_ID (or --workspace-id)")
    if settings.bird_access_key is None:
        missing.append("BIRD_ACCESS_KEY")
    if settings.bird_signing_key is None:
        missing.append("BIRD_SIGNING_KEY")
    if not settings.relay_public_url:
        missing.append("RELAY_PUBLIC_URL")
    return missing


def run(
    args: argparse.Namespace,
    *,
    settings: StarterSettings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> int:
    """`settings` and `transport` are for tests; the command reads the environment."""
    settings = settings or StarterSettings()
    if missing := missing_settings(settings, args):
        print("tendlc webhooks setup: missing settings: " + ", ".join(missing), file=sys.stderr)
        return 2
    try:
        result = asyncio.run(_setup(args, settings, transport))
    except ValueError as exc:
        print(f"tendlc webhooks setup: {exc}", file=sys.stderr)
        return 2
    except BirdError as exc:
        print(f"tendlc webhooks setup: Bird refused or failed: {exc}", file=sys.stderr)
        return 1
    _report(result, dry_run=args.dry_run)
    return 1 if result.problems else 0


async def _setup(
    args: argparse.Namespace, settings: StarterSettings, transport: httpx.AsyncBaseTransport | None
) -> WebhookSetupResult:
    assert settings.bird_signing_key is not None and settings.relay_public_url
    signing_key = settings.bird_signing_key.get_secret_value()
    organization_id = args.organization_id or settings.bird_organization_id
    workspace_id = args.workspace_id or settings.bird_workspace_id
    assert organization_id and workspace_id  # main() refuses to go on without them
    async with settings.bird_client(transport=transport) as client:
        return await ensure_subscriptions(
            client,
            organization_id=organization_id,
            workspace_id=workspace_id,
            url=settings.relay_public_url,
            signing_key=signing_key,
            older_keys=[k for k in settings.signing_keys() if k != signing_key],
            dry_run=args.dry_run,
        )


def _report(result: WebhookSetupResult, *, dry_run: bool) -> None:
    for sub in result.existing:
        print(f"exists   {sub.service}/{sub.event}  {sub.id}  {sub.status or ''}".rstrip())
    for sub in result.created:
        if dry_run:
            print(f"missing  {sub.service}/{sub.event}  (would be created)")
        else:
            print(f"created  {sub.service}/{sub.event}  {sub.id}")
    for problem in result.problems:
        print(f"warning: {problem}", file=sys.stderr)
