"""One OpenAPI document for every `/api/...` route (DESIGN §9): the admin API's, with the
integration and app APIs' paths added. Served by the admin function at `/api/openapi.json`; the
public function keeps its own part at `/api/v1/openapi.json`."""

from __future__ import annotations

import copy
import json
from typing import Any

PREFIX = "Public"  # a public schema whose name the admin document already uses is renamed


def merge(admin: dict[str, Any], public: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(admin)
    public = copy.deepcopy(public)
    ours = merged.setdefault("components", {})
    theirs = public.get("components", {})
    renames = {
        name: f"{PREFIX}{name}"
        for name, schema in theirs.get("schemas", {}).items()
        if name in ours.get("schemas", {}) and ours["schemas"][name] != schema
    }
    if renames:
        text = json.dumps(public)
        for old, new in renames.items():
            text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
        public = json.loads(text)
        theirs = public.get("components", {})
        theirs["schemas"] = {renames.get(k, k): v for k, v in theirs.get("schemas", {}).items()}
    for section, entries in theirs.items():
        ours.setdefault(section, {}).update(entries)
    clash = set(merged["paths"]) & set(public.get("paths", {}))
    if clash:
        raise ValueError(f"both documents define {sorted(clash)}")
    merged["paths"].update(public.get("paths", {}))
    merged["info"]["title"] = "FPV Training Platform API"
    merged["info"]["description"] = (
        merged["info"].get("description", "")
        + "\n\nThe integration API (`/api/v1/`, API keys) and the pilots' app API (`/api/app/`, "
        + "device tokens from sign-in through the bot) are described here too."
    )
    return merged
