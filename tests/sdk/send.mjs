// Usage: node send.mjs <pond-url> <write-key>
// Sends an identify and a track through Segment's unmodified Node SDK, pointed at Pond, then flushes.
import { Analytics } from "@segment/analytics-node";

const [host, writeKey] = process.argv.slice(2);
if (!host || !writeKey) {
  console.error("usage: node send.mjs <pond-url> <write-key>");
  process.exit(2);
}

const analytics = new Analytics({ writeKey, host, maxEventsInBatch: 10, flushInterval: 200, maxRetries: 0 });
const failures = [];
analytics.on("error", (err) => failures.push(err));

analytics.identify({
  userId: "sdk-user-1",
  traits: { name: "林晓雯", phone: "13800138000", email: "xiaowen@example.com", city: "上海" },
});
analytics.track({
  userId: "sdk-user-1",
  event: "Order Completed",
  properties: { order_id: "SDK-1001", revenue: 399, currency: "CNY", products: [{ sku: "LL-D001", price: 399, quantity: 1 }] },
});
await analytics.closeAndFlush({ timeout: 10000 });
if (failures.length > 0) {
  console.error(JSON.stringify(failures.map((f) => f.reason?.message ?? f.code ?? String(f))));
  process.exit(1);
}
console.log("sent");
