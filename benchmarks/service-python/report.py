"""The work behind GET /api/report, shared by the server and its self-check.

Identical, output byte for byte, to benchmarks/service-rust/src/report.rs: the same
generator (splitmix64 seeded with N), the same order document, the same aggregates,
the same JSON answer (compact, keys sorted, integers only, ASCII only). Change both
together.

The order document for N (a JSON string) is made once per N and kept (a few sizes at
most); every request parses it again, so each request pays for json.loads, the
aggregation loop over dicts and lists, a sort, the percentiles and the answer's
json.dumps.
"""

import json

MASK64 = 0xFFFFFFFFFFFFFFFF
CUSTOMERS = 50
SKUS = 200
TOP_CUSTOMERS = 5
TOP_SKUS = 3
MAX_ITEMS = 100000


class SplitMix64:
    """splitmix64 (Steele, Lea, Flood 2014): tiny, and exact in any language."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


def order_document(n):
    """The JSON text of n order records, deterministic in n."""
    rng = SplitMix64(n)
    orders = []
    for i in range(n):
        customer = "cust-%02d" % rng.below(CUSTOMERS)
        lines = []
        for _ in range(1 + rng.below(4)):
            sku = "sku-%03d" % rng.below(SKUS)
            qty = 1 + rng.below(5)
            price = 100 + rng.below(10000)
            lines.append({"sku": sku, "qty": qty, "price_cents": price})
        r = rng.below(10)
        status = "refunded" if r == 0 else ("shipped" if r <= 3 else "paid")
        orders.append(
            {"id": i + 1, "customer": customer, "status": status, "lines": lines}
        )
    return json.dumps({"orders": orders}, separators=(",", ":"))


def percentile(sorted_values, p):
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    n = len(sorted_values)
    if n == 0:
        return 0
    rank = (p * n + 99) // 100  # ceil(p * n / 100), in integers
    return sorted_values[max(rank, 1) - 1]


def report(text):
    """Parse an order document and answer its summary as JSON bytes."""
    doc = json.loads(text)
    orders = doc["orders"]
    revenue = 0
    refunded = 0
    refunded_orders = 0
    totals = []
    per_customer = {}  # customer -> [orders, total_cents]
    per_sku = {}  # sku -> quantity
    for order in orders:
        total = 0
        for line in order["lines"]:
            total += line["qty"] * line["price_cents"]
        if order["status"] == "refunded":
            refunded += total
            refunded_orders += 1
            continue
        revenue += total
        totals.append(total)
        c = per_customer.get(order["customer"])
        if c is None:
            c = per_customer[order["customer"]] = [0, 0]
        c[0] += 1
        c[1] += total
        for line in order["lines"]:
            per_sku[line["sku"]] = per_sku.get(line["sku"], 0) + line["qty"]

    totals.sort()
    customers = sorted(per_customer.items(), key=lambda kv: (-kv[1][1], kv[0]))
    skus = sorted(per_sku.items(), key=lambda kv: (-kv[1], kv[0]))
    answer = {
        "items": len(orders),
        "revenue_cents": revenue,
        "refunded_cents": refunded,
        "refunded_orders": refunded_orders,
        "customers": len(per_customer),
        "order_total_cents": {
            "p50": percentile(totals, 50),
            "p90": percentile(totals, 90),
            "p99": percentile(totals, 99),
            "max": totals[-1] if totals else 0,
        },
        "top_customers": [
            {"customer": name, "orders": c[0], "total_cents": c[1]}
            for name, c in customers[:TOP_CUSTOMERS]
        ],
        "top_skus": [{"sku": sku, "qty": qty} for sku, qty in skus[:TOP_SKUS]],
    }
    return json.dumps(answer, separators=(",", ":"), sort_keys=True).encode("ascii")
