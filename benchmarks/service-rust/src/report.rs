//! The work behind `GET /api/report`: identical, output byte for byte, to
//! benchmarks/service-python/report.py. The same generator (splitmix64 seeded with
//! N), the same order document (its JSON text written field for field as Python's
//! json.dumps writes it), the same aggregates and the
//! same answer (compact JSON, keys sorted, integers only, ASCII only). Change both
//! together.
//!
//! The order document for N is made once per N and kept (see `main.rs`); every
//! request parses it again, into typed structs with owned strings (serde derive, as
//! a Rust service would; Python's counterpart is json.loads into dicts and lists),
//! walks it, fills two hash maps with owned keys, sorts, takes percentiles and
//! serializes the answer.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::json;

pub const MAX_ITEMS: u32 = 100_000;
const CUSTOMERS: u64 = 50;
const SKUS: u64 = 200;
const TOP_CUSTOMERS: usize = 5;
const TOP_SKUS: usize = 3;

/// splitmix64 (Steele, Lea, Flood 2014): tiny, and exact in any language.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The JSON text of `n` order records, deterministic in `n` (the same key order and
/// compact separators as Python's `json.dumps(..., separators=(",", ":"))`).
pub fn order_document(n: u32) -> String {
    let mut rng = SplitMix64(u64::from(n));
    let mut out = String::with_capacity(n as usize * 170 + 16);
    out.push_str("{\"orders\":[");
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let customer = rng.below(CUSTOMERS);
        let mut lines = String::new();
        for j in 0..1 + rng.below(4) {
            let sku = rng.below(SKUS);
            let qty = 1 + rng.below(5);
            let price = 100 + rng.below(10_000);
            if j > 0 {
                lines.push(',');
            }
            let _ = write!(
                lines,
                "{{\"sku\":\"sku-{sku:03}\",\"qty\":{qty},\"price_cents\":{price}}}"
            );
        }
        let status = match rng.below(10) {
            0 => "refunded",
            1..=3 => "shipped",
            _ => "paid",
        };
        let _ = write!(
            out,
            "{{\"id\":{},\"customer\":\"cust-{customer:02}\",\"status\":\"{status}\",\"lines\":[{lines}]}}",
            i + 1
        );
    }
    out.push_str("]}");
    out
}

/// Nearest rank: the smallest value with at least p% of the values at or below it.
fn percentile(sorted: &[u64], p: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len()).div_ceil(100);
    sorted[rank.max(1) - 1]
}

/// The order document as a Rust service would read it: typed, with owned strings.
/// Fields not named here (`id`) are skipped by the parser.
#[derive(Deserialize)]
struct Document {
    orders: Vec<Order>,
}

#[derive(Deserialize)]
struct Order {
    customer: String,
    status: String,
    lines: Vec<Line>,
}

#[derive(Deserialize)]
struct Line {
    sku: String,
    qty: u64,
    price_cents: u64,
}

/// Parse an order document and answer its summary as JSON bytes.
pub fn report(document: &str) -> Result<Vec<u8>, String> {
    let doc: Document = serde_json::from_str(document).map_err(|e| e.to_string())?;
    let orders = &doc.orders;
    let mut revenue: u64 = 0;
    let mut refunded: u64 = 0;
    let mut refunded_orders: u64 = 0;
    let mut totals: Vec<u64> = Vec::new();
    let mut per_customer: HashMap<String, (u64, u64)> = HashMap::new(); // orders, cents
    let mut per_sku: HashMap<String, u64> = HashMap::new(); // quantity
    for order in orders {
        let total: u64 = order.lines.iter().map(|l| l.qty * l.price_cents).sum();
        if order.status == "refunded" {
            refunded += total;
            refunded_orders += 1;
            continue;
        }
        revenue += total;
        totals.push(total);
        let c = per_customer.entry(order.customer.clone()).or_default();
        c.0 += 1;
        c.1 += total;
        for line in &order.lines {
            *per_sku.entry(line.sku.clone()).or_default() += line.qty;
        }
    }

    totals.sort_unstable();
    let mut customers: Vec<(&String, &(u64, u64))> = per_customer.iter().collect();
    customers.sort_unstable_by(|a, b| b.1 .1.cmp(&a.1 .1).then_with(|| a.0.cmp(b.0)));
    let mut skus: Vec<(&String, &u64)> = per_sku.iter().collect();
    skus.sort_unstable_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));

    // serde_json's Map is a BTreeMap here (no `preserve_order`): keys come out
    // sorted, as Python's json.dumps(sort_keys=True) writes them.
    let answer = json!({
        "items": orders.len(),
        "revenue_cents": revenue,
        "refunded_cents": refunded,
        "refunded_orders": refunded_orders,
        "customers": per_customer.len(),
        "order_total_cents": {
            "p50": percentile(&totals, 50),
            "p90": percentile(&totals, 90),
            "p99": percentile(&totals, 99),
            "max": totals.last().copied().unwrap_or(0),
        },
        "top_customers": customers.iter().take(TOP_CUSTOMERS).map(|(name, c)| json!({
            "customer": name, "orders": c.0, "total_cents": c.1,
        })).collect::<Vec<_>>(),
        "top_skus": skus.iter().take(TOP_SKUS).map(|(sku, qty)| json!({
            "sku": sku, "qty": qty,
        })).collect::<Vec<_>>(),
    });
    serde_json::to_vec(&answer).map_err(|e| e.to_string())
}
