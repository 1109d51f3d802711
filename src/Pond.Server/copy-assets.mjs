// Copies the browser builds of the npm packages the console uses into wwwroot/lib.
import { copyFileSync, mkdirSync } from "node:fs";

const files = [
  ["node_modules/htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["node_modules/alpinejs/dist/cdn.min.js", "alpine.min.js"],
  ["node_modules/echarts/dist/echarts.min.js", "echarts.min.js"],
];
mkdirSync("wwwroot/lib", { recursive: true });
for (const [from, to] of files) copyFileSync(from, `wwwroot/lib/${to}`);
