"""The README's Python call (httpx there), with the standard library only: the same two calls as
examples/typescript/client.ts. Run by test/openapi/backend-examples.node.test.ts when python3 exists.
Run: CLIENTS_API_URL=http://localhost:8787 CLIENTS_API_KEY=sk_test_… python3 client.py
"""
import json
import os
import urllib.error
import urllib.request

BASE = os.environ.get("CLIENTS_API_URL", "http://localhost:8787")
HEADERS = {"Authorization": f"Bearer {os.environ['CLIENTS_API_KEY']}", "X-Environment": "test"}  # once, for every call


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {**HEADERS, **({"Content-Type": "application/json"} if body is not None else {})}
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response), response.headers
    except urllib.error.HTTPError as error:  # every error is an RFC 9457 problem
        problem = json.load(error)
        raise SystemExit(f"{problem['status']} {problem['code']}: {problem['detail']} {problem['errors']}")


synced, _ = call("POST", "/clients/sync", {"client": {"type": "individual", "name": "Ana", "lastName": "Gómez", "externalId": "crm-1001", "nationalities": ["MX"]}})
client, headers = call("GET", f"/clients/{synced['client']['id']}")
print(synced["action"], client["name"], headers["etag"])
