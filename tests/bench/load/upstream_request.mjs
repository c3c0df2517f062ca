// Usage: node upstream_request.mjs SIM_PORT BEARER BODY_OUT
//
// The request the gateway last sent to kiro-sim's generateAssistantResponse,
// made replayable: writes its body to BODY_OUT and prints its headers as
// "Name: value|..." for post.lua, with the simulator's masked Authorization
// replaced by BEARER. Host, Content-Length and Content-Type are left to wrk.
// The load benchmark's direct side sends this request, so that both sides
// ask the simulator for the same work.
import { writeFileSync } from "node:fs";

const [port, bearer, bodyOut] = process.argv.slice(2);
if (!port || !bearer || !bodyOut) {
  console.error("usage: node upstream_request.mjs SIM_PORT BEARER BODY_OUT");
  process.exit(2);
}
const res = await fetch(
  `http://127.0.0.1:${port}/__sim/requests?endpoint=generateAssistantResponse`);
if (!res.ok) {
  console.error(`GET /__sim/requests answered ${res.status}`);
  process.exit(1);
}
const { requests } = await res.json();
const last = requests.at(-1);
if (!last || last.status !== 200) {
  console.error("no accepted generateAssistantResponse request recorded");
  process.exit(1);
}
const skip = new Set(["host", "content-length", "content-type", "authorization"]);
const headers = [`Authorization: Bearer ${bearer}`];
for (const [name, value] of Object.entries(last.headers)) {
  if (!skip.has(name.toLowerCase())) headers.push(`${name}: ${value}`);
}
writeFileSync(bodyOut, JSON.stringify(last.body));
console.log(headers.join("|"));
