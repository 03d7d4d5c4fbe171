// The main journey of issue 29 through openapi-fetch and the types openapi-typescript generates
// from the API description: typed calls only (no hand-built JSON, no raw fetch), so a step that
// needs a workaround fails, at the latest in `tsc --noEmit`.
//
//   OMS_BASE_URL=http://127.0.0.1:PORT OMS_SALES_TOKEN=... OMS_ADMIN_TOKEN=... npx tsx journey.ts [--keep-going]
//
// Prints one row per step (step, status, detail) and exits 1 on the first failure; with
// --keep-going it runs every step it can (a step whose input an earlier failure did not produce is
// "not run") and exits 1 if any failed. scripts/check-clients generates the types and runs this.
import createClient from "openapi-fetch";
import type { components, paths } from "../generated/typescript/schema";

type Schemas = components["schemas"];
type Problem = Schemas["Problem"];
type OpportunityView = Schemas["OpportunityView"];
type Skill = Schemas["Skill"];

const run = crypto.randomUUID().slice(0, 8);
const title = `Journey ${run} serverless order platform`;
const problemStatement =
  "## Problem\n\nOrders are processed in nightly batches, so customers wait a day for confirmation. " +
  "The platform must confirm each order within seconds and keep working during peak sales.";

class NotRun extends Error {}
class StepFailed extends Error {}

function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new StepFailed(message);
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

// The media types whose bodies openapi-fetch types as JSON: without this, a response that offers
// JSON and CSV is typed as the union of both (the CSV step asks for text with `parseAs`).
type JsonMedia = "application/json" | "application/problem+json";

function client(token: string) {
  return createClient<paths, JsonMedia>({ baseUrl: env("OMS_BASE_URL"), headers: { Authorization: `Bearer ${token}` } });
}

const sales = client(env("OMS_SALES_TOKEN"));
const admin = client(env("OMS_ADMIN_TOKEN"));

// openapi-fetch gives the raw Response beside the typed body: the ETag is read from it by name.
function etagOf(response: Response): string {
  const etag = response.headers.get("ETag");
  expect(etag, "no ETag header");
  return etag;
}

const state: { skill?: Skill; opportunity?: OpportunityView; etag?: string; submitted?: boolean } = {};

function need<K extends keyof typeof state>(key: K): NonNullable<(typeof state)[K]> {
  const value = state[key];
  if (value === undefined) throw new NotRun(`needs ${key}`);
  return value as NonNullable<(typeof state)[K]>;
}

// Both error steps handle the error through the one generated Problem type.
function checkProblem(error: Problem | undefined, response: Response, status: number, code: string, field?: string): string {
  expect(response.status === status, `status ${response.status}`);
  expect(error, "no problem body");
  expect(error.status === status && error.code === code, `${error.status} ${error.code}`);
  if (field !== undefined) {
    const fields = (error.errors ?? []).map((e) => e.field);
    expect(fields.includes(field), `errors ${fields.join(", ")}`);
  }
  return `Problem ${error.code}`;
}

async function createCatalogSkill(): Promise<string> {
  const { data, response } = await admin.POST("/v1/skills", {
    body: { name: `Journey ${run} event sourcing`, category: "technical" },
  });
  expect(response.status === 201 && data, `status ${response.status}`);
  state.skill = data;
  return `skill ${data.id}`;
}

async function createOpportunity(): Promise<string> {
  const { data, response } = await sales.POST("/v1/opportunities", {
    body: {
      customer: { name: `Journey ${run} Contoso` },
      title,
      description: "Move the order platform to an event-driven architecture.",
      priority: "high",
      annual_recurring_revenue: { amount: "125000.00", currency: "EUR" },
      timeline: { start_date: "2027-02-01", duration_days: 90, flexible: true },
    },
  });
  expect(response.status === 201 && data, `status ${response.status}`);
  expect(data.timeline?.start_date === "2027-02-01", "timeline not stored");
  expect(data.timeline.flexible === true && data.timeline.duration_days === 90, "timeline fields lost");
  state.opportunity = data;
  state.etag = etagOf(response);
  return `opportunity ${data.id}, customer '${data.customer.name}'`;
}

async function patchOpportunity(): Promise<string> {
  const view = need("opportunity");
  const { data, response } = await sales.PATCH("/v1/opportunities/{id}", {
    params: { path: { id: view.id }, header: { "If-Match": need("etag") } },
    headers: { "Content-Type": "application/merge-patch+json" },
    body: { priority: "critical", annual_recurring_revenue: { amount: "150000.50" }, timeline: { flexible: false } },
  });
  expect(response.status === 200 && data, `status ${response.status}`);
  expect(data.priority === "critical", "priority not patched");
  expect(data.annual_recurring_revenue.amount === "150000.50", "amount not merged");
  expect(data.annual_recurring_revenue.currency === "EUR", "currency not kept");
  expect(data.timeline?.flexible === false && data.timeline.duration_days === 90, "timeline not merged");
  state.opportunity = data;
  state.etag = etagOf(response);
  return `version ${data.version}`;
}

async function putProblemStatement(): Promise<string> {
  const view = need("opportunity");
  const { data, response } = await sales.PUT("/v1/opportunities/{id}/problem-statement", {
    params: { path: { id: view.id }, header: { "If-Match": need("etag") } },
    body: { markdown: problemStatement },
  });
  expect(response.status === 200 && data, `status ${response.status}`);
  expect(data.problem_statement, "no problem statement");
  state.opportunity = data;
  state.etag = etagOf(response);
  return `version ${data.version}`;
}

async function putSkillRequirements(): Promise<string> {
  const view = need("opportunity");
  const skill = need("skill");
  const { data, response } = await sales.PUT("/v1/opportunities/{id}/skill-requirements", {
    params: { path: { id: view.id }, header: { "If-Match": need("etag") } },
    body: {
      items: [
        { skill_id: skill.id, category: "technical", importance: "must_have", min_proficiency: "advanced" },
        { custom_name: "Order domain modelling", category: "industry", importance: "nice_to_have", min_proficiency: "intermediate" },
      ],
    },
  });
  expect(response.status === 200 && data, `status ${response.status}`);
  const byName = new Map(data.skill_requirements.map((r) => [r.name, r]));
  expect(byName.size === 2, `${byName.size} requirements`);
  const catalog = byName.get(skill.name);
  expect(catalog && catalog.skill_id === skill.id, "catalog requirement missing");
  expect(catalog.min_proficiency === "advanced", "min_proficiency lost");
  expect(byName.get("Order domain modelling")?.importance === "nice_to_have", "custom requirement lost");
  state.opportunity = data;
  state.etag = etagOf(response);
  return "catalog + custom";
}

async function submit(): Promise<string> {
  const view = need("opportunity");
  const { data, response } = await sales.POST("/v1/opportunities/{id}/submit", {
    params: { path: { id: view.id }, header: { "If-Match": need("etag") } },
  });
  expect(response.status === 200 && data, `status ${response.status}`);
  expect(data.status === "submitted", `status ${data.status}`);
  state.opportunity = data;
  state.etag = etagOf(response);
  state.submitted = true;
  return "submitted";
}

async function readHistory(): Promise<string> {
  const view = need("opportunity");
  need("submitted");
  const { data, response } = await sales.GET("/v1/opportunities/{id}/history", {
    params: { path: { id: view.id }, query: { limit: 100 } },
  });
  expect(response.status === 200 && data, `status ${response.status}`);
  const fields = data.items.filter((item) => item.kind === "field").map((item) => item.field);
  expect(fields.includes("priority"), `no priority change in ${fields.join(", ")}`);
  expect(data.items.some((item) => item.kind === "status" && item.to === "submitted"), "no submission record");
  return `${data.items.length} records`;
}

async function filteredList(): Promise<string> {
  const view = need("opportunity");
  need("submitted");
  const { data, response } = await sales.GET("/v1/opportunities", {
    params: { query: { status: "submitted", priority: "critical", q: `Journey ${run}`, sort: "-updated_at", limit: 10 } },
  });
  expect(response.status === 200 && data, `status ${response.status}`);
  expect(data.items.length === 1 && data.items[0]?.id === view.id, `${data.items.length} items`);
  return "1 match";
}

async function reportJson(): Promise<string> {
  const customerId = need("opportunity").customer.id;
  const { data, response } = await admin.GET("/v1/reports/pipeline", {
    params: { query: { customer_id: customerId } },
  });
  expect(response.status === 200 && data, `status ${response.status}`);
  expect(data.total.count === 1, `total count ${data.total.count}`);
  return `total ${data.total.count}`;
}

async function validationProblem(): Promise<string> {
  const customerId = need("opportunity").customer.id;
  const { error, response } = await sales.POST("/v1/opportunities", {
    body: {
      customer: { id: customerId },
      title: `Journey ${run} backwards timeline`,
      description: "The end date is before the start date.",
      priority: "low",
      annual_recurring_revenue: { amount: "1000", currency: "JPY" },
      timeline: { start_date: "2027-03-01", end_date: "2027-02-01", flexible: false },
    },
  });
  return checkProblem(error, response, 422, "validation_failed", "timeline.end_date");
}

async function notFoundProblem(): Promise<string> {
  const { error, response } = await sales.GET("/v1/opportunities/{id}", {
    params: { path: { id: crypto.randomUUID() } },
  });
  return checkProblem(error, response, 404, "not_found");
}

async function reportCsv(): Promise<string> {
  const customerId = need("opportunity").customer.id;
  const { data, response } = await admin.GET("/v1/reports/pipeline", {
    params: { query: { customer_id: customerId }, header: { Accept: "text/csv" } },
    parseAs: "text",
  });
  expect(response.status === 200 && data !== undefined, `status ${response.status}`);
  const text: string = data;
  expect(text.startsWith("dimension,status,priority,currency,count,arr_amount"), "not the CSV header");
  return `${text.trim().split("\n").length} lines`;
}

const steps: [string, () => Promise<string>][] = [
  ["create catalog skill (Admin)", createCatalogSkill],
  ["create opportunity: timeline + new customer", createOpportunity],
  ["patch (If-Match, merge-patch)", patchOpportunity],
  ["put problem statement", putProblemStatement],
  ["put skill requirements: catalog + custom", putSkillRequirements],
  ["submit", submit],
  ["read history", readHistory],
  ["filtered list (status, priority, q, sort)", filteredList],
  ["pipeline report as JSON (Admin)", reportJson],
  ["422 as Problem", validationProblem],
  ["404 as Problem", notFoundProblem],
  // Last, as in the Python journey: the step that depends on content negotiation (Accept).
  ["pipeline report as CSV (Admin)", reportCsv],
];

async function main(): Promise<number> {
  const keepGoing = process.argv.includes("--keep-going");
  const rows: [string, string, string][] = [];
  let failed = false;
  for (const [name, step] of steps) {
    try {
      rows.push([name, "ok", await step()]);
    } catch (error) {
      failed = true;
      if (error instanceof NotRun) rows.push([name, "not run", error.message]);
      else rows.push([name, "FAIL", error instanceof Error ? `${error.name}: ${error.message}` : String(error)]);
    }
    if (failed && !keepGoing) break;
  }
  const width = Math.max(...steps.map(([name]) => name.length));
  console.log(`${"step".padEnd(width)}  ${"status".padEnd(7)}  detail`);
  for (const [name, status, detail] of rows) console.log(`${name.padEnd(width)}  ${status.padEnd(7)}  ${detail}`);
  console.log(`typescript journey: ${rows.filter(([, status]) => status === "ok").length} of ${steps.length} steps passed`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
