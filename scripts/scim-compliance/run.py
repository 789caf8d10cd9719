"""Runs python-scim's scim2-tester against one SCIM base URL and prints every check as JSON.

    python run.py <base URL> <bearer token>

Prints a JSON array on stdout, one object per check: status (SUCCESS, COMPLIANT, ACCEPTABLE,
DEVIATION, ERROR, CRITICAL, SKIPPED), title, resource_type, reason and tags. Judging them is the
caller's business (crates/gatehouse-server/tests/api/scim_compliance.rs), so what is not
applicable to Gatehouse is written down next to the test that relies on it.
"""

import json
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server


def main() -> int:
    base, token = sys.argv[1], sys.argv[2]
    http = Client(
        base_url=base,
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
        trust_env=False,
    )
    results = check_server(SyncSCIMClient(http))
    checks = [
        {
            "status": r.status.name,
            "title": r.title,
            "resource_type": r.resource_type,
            "reason": r.reason,
            "tags": sorted(r.tags),
        }
        for r in results
    ]
    json.dump(checks, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
