"""A faithful fake of Bird's US 10DLC API for tests and the demo: the same paths, validation
against Bird's own OpenAPI, scheduled approvals, signed webhooks, injected faults and a ledger
of charges, driven through a `/_sandbox/` control plane."""

from sandbox.app import create_app
from sandbox.config import DEFAULT_ACCESS_KEY, DEFAULT_ORGANIZATION_ID, DEFAULT_WORKSPACE_ID, SandboxConfig

__all__ = ["create_app", "SandboxConfig", "DEFAULT_ACCESS_KEY", "DEFAULT_ORGANIZATION_ID", "DEFAULT_WORKSPACE_ID"]
