"""The main journey of issue 29 through the client openapi-python-client generates from the API
description: typed calls and generated models only (no hand-built JSON, no raw requests), so a
step that needs a workaround fails.

    OMS_BASE_URL=http://127.0.0.1:PORT OMS_SALES_TOKEN=... OMS_ADMIN_TOKEN=... \
        PYTHONPATH=clients/generated/python python clients/python/journey.py [--keep-going]

Prints one row per step (step, status, detail) and exits 1 on the first failure; with
--keep-going it runs every step it can (a step whose input an earlier failure did not produce is
"not run") and exits 1 if any failed. scripts/check-clients generates the client and runs this.

Each step imports what it uses from the generated package itself, so that a model or function
the description does not produce fails that step, not the whole journey.
"""

import datetime
import os
import sys
import traceback
import uuid

RUN = uuid.uuid4().hex[:8]
TITLE = f"Journey {RUN} serverless order platform"
PROBLEM_STATEMENT = (
    "## Problem\n\nOrders are processed in nightly batches, so customers wait a day for confirmation. "
    "The platform must confirm each order within seconds and keep working during peak sales."
)


class NotRun(Exception):
    """An earlier step did not produce what this one needs."""


class StepFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise StepFailed(message)


def etag_of(response):
    """The `ETag` of a generated `Response`: openapi-python-client does not model response headers,
    so this reads the header by name (the one piece an integrator writes by hand)."""
    etag = response.headers.get("ETag")
    expect(etag, "no ETag header")
    return etag


class Journey:
    def __init__(self, base_url, sales_token, admin_token):
        from oms_client import AuthenticatedClient

        self.sales = AuthenticatedClient(base_url=base_url, token=sales_token, raise_on_unexpected_status=True)
        self.admin = AuthenticatedClient(base_url=base_url, token=admin_token, raise_on_unexpected_status=True)
        self.state = {}

    def need(self, key):
        if key not in self.state:
            raise NotRun(f"needs {key}")
        return self.state[key]

    # --- steps ---------------------------------------------------------------------------------

    def create_catalog_skill(self):
        from oms_client.api.skills import create_skill
        from oms_client.models import CreateSkillRequest, Skill, SkillCategory

        response = create_skill.sync_detailed(
            client=self.admin,
            body=CreateSkillRequest(name=f"Journey {RUN} event sourcing", category=SkillCategory.TECHNICAL),
        )
        expect(response.status_code == 201, f"status {response.status_code}")
        expect(isinstance(response.parsed, Skill), f"parsed {type(response.parsed).__name__}")
        self.state["skill"] = response.parsed
        return f"skill {response.parsed.id}"

    def create_opportunity(self):
        from oms_client.api.opportunities import create_opportunity
        from oms_client.models import (
            CreateOpportunityRequest,
            CurrencyCode,
            CustomerByName,
            MoneyInput,
            OpportunityView,
            Priority,
            TimelineWithDuration,
        )

        response = create_opportunity.sync_detailed(
            client=self.sales,
            body=CreateOpportunityRequest(
                customer=CustomerByName(name=f"Journey {RUN} Contoso"),
                title=TITLE,
                description="Move the order platform to an event-driven architecture.",
                priority=Priority.HIGH,
                annual_recurring_revenue=MoneyInput(amount="125000.00", currency=CurrencyCode.EUR),
                timeline=TimelineWithDuration(
                    start_date=datetime.date(2027, 2, 1), duration_days=90, flexible=True
                ),
            ),
        )
        expect(response.status_code == 201, f"status {response.status_code}")
        view = response.parsed
        expect(isinstance(view, OpportunityView), f"parsed {type(view).__name__}")
        expect(view.timeline and view.timeline.start_date == datetime.date(2027, 2, 1), "timeline not stored")
        expect(view.timeline.flexible is True and view.timeline.duration_days == 90, "timeline fields lost")
        self.state.update(opportunity=view, etag=etag_of(response))
        return f"opportunity {view.id}, customer {view.customer.name!r}"

    def patch_opportunity(self):
        from oms_client.api.opportunities import patch_opportunity
        from oms_client.models import MoneyPatch, OpportunityPatch, OpportunityView, Priority, TimelinePatch

        view = self.need("opportunity")
        response = patch_opportunity.sync_detailed(
            view.id,
            client=self.sales,
            if_match=self.need("etag"),
            body=OpportunityPatch(
                priority=Priority.CRITICAL,
                annual_recurring_revenue=MoneyPatch(amount="150000.50"),
                timeline=TimelinePatch(flexible=False),
            ),
        )
        expect(response.status_code == 200, f"status {response.status_code}")
        patched = response.parsed
        expect(isinstance(patched, OpportunityView), f"parsed {type(patched).__name__}")
        expect(patched.priority == Priority.CRITICAL, "priority not patched")
        expect(patched.annual_recurring_revenue.amount == "150000.50", "amount not merged")
        expect(patched.annual_recurring_revenue.currency == "EUR", "currency not kept")
        expect(patched.timeline.flexible is False and patched.timeline.duration_days == 90, "timeline not merged")
        self.state.update(opportunity=patched, etag=etag_of(response))
        return f"version {patched.version}"

    def put_problem_statement(self):
        from oms_client.api.opportunities import put_problem_statement
        from oms_client.models import OpportunityView, ProblemStatementRequest

        view = self.need("opportunity")
        response = put_problem_statement.sync_detailed(
            view.id, client=self.sales, if_match=self.need("etag"),
            body=ProblemStatementRequest(markdown=PROBLEM_STATEMENT),
        )
        expect(response.status_code == 200, f"status {response.status_code}")
        expect(isinstance(response.parsed, OpportunityView), f"parsed {type(response.parsed).__name__}")
        expect(response.parsed.problem_statement is not None, "no problem statement")
        self.state.update(opportunity=response.parsed, etag=etag_of(response))
        return f"version {response.parsed.version}"

    def put_skill_requirements(self):
        from oms_client.api.opportunities import put_skill_requirements
        from oms_client.models import (
            CatalogSkillRequirement,
            CustomSkillRequirement,
            Importance,
            OpportunityView,
            Proficiency,
            SkillCategory,
            SkillRequirementsRequest,
        )

        view = self.need("opportunity")
        skill = self.need("skill")
        response = put_skill_requirements.sync_detailed(
            view.id, client=self.sales, if_match=self.need("etag"),
            body=SkillRequirementsRequest(items=[
                CatalogSkillRequirement(
                    skill_id=skill.id, category=SkillCategory.TECHNICAL,
                    importance=Importance.MUST_HAVE, min_proficiency=Proficiency.ADVANCED,
                ),
                CustomSkillRequirement(
                    custom_name="Order domain modelling", category=SkillCategory.INDUSTRY,
                    importance=Importance.NICE_TO_HAVE, min_proficiency=Proficiency.INTERMEDIATE,
                ),
            ]),
        )
        expect(response.status_code == 200, f"status {response.status_code}")
        saved = response.parsed
        expect(isinstance(saved, OpportunityView), f"parsed {type(saved).__name__}")
        by_name = {requirement.name: requirement for requirement in saved.skill_requirements}
        expect(len(by_name) == 2, f"{len(by_name)} requirements")
        catalog = by_name.get(skill.name)
        expect(catalog is not None and catalog.skill_id == skill.id, "catalog requirement missing")
        expect(catalog.min_proficiency == Proficiency.ADVANCED, "min_proficiency lost")
        custom = by_name.get("Order domain modelling")
        expect(custom is not None and custom.importance == Importance.NICE_TO_HAVE, "custom requirement lost")
        self.state.update(opportunity=saved, etag=etag_of(response))
        return "catalog + custom"

    def submit(self):
        from oms_client.api.lifecycle import submit_opportunity
        from oms_client.models import OpportunityView, Status

        view = self.need("opportunity")
        response = submit_opportunity.sync_detailed(view.id, client=self.sales, if_match=self.need("etag"))
        expect(response.status_code == 200, f"status {response.status_code}")
        expect(isinstance(response.parsed, OpportunityView), f"parsed {type(response.parsed).__name__}")
        expect(response.parsed.status == Status.SUBMITTED, f"status {response.parsed.status}")
        self.state.update(opportunity=response.parsed, etag=etag_of(response), submitted=True)
        return "submitted"

    def read_history(self):
        from oms_client.api.opportunities import get_opportunity_history
        from oms_client.models import HistoryKind, HistoryPage, Status

        view = self.need("opportunity")
        self.need("submitted")
        response = get_opportunity_history.sync_detailed(view.id, client=self.sales, limit=100)
        expect(response.status_code == 200, f"status {response.status_code}")
        page = response.parsed
        expect(isinstance(page, HistoryPage), f"parsed {type(page).__name__}")
        fields = {item.field for item in page.items if item.kind == HistoryKind.FIELD}
        expect("priority" in fields, f"no priority change in {sorted(f for f in fields if f)}")
        expect(any(item.kind == HistoryKind.STATUS and item.to == Status.SUBMITTED for item in page.items),
               "no submission record")
        return f"{len(page.items)} records"

    def filtered_list(self):
        from oms_client.api.opportunities import list_opportunities
        from oms_client.models import OpportunityPage, OpportunitySort, Priority, Status

        view = self.need("opportunity")
        self.need("submitted")
        response = list_opportunities.sync_detailed(
            client=self.sales, status=Status.SUBMITTED, priority=Priority.CRITICAL,
            q=f"Journey {RUN}", sort=OpportunitySort.UPDATED_AT_DESC, limit=10,
        )
        expect(response.status_code == 200, f"status {response.status_code}")
        page = response.parsed
        expect(isinstance(page, OpportunityPage), f"parsed {type(page).__name__}")
        expect([item.id for item in page.items] == [view.id], f"{len(page.items)} items")
        return "1 match"

    def report_json(self):
        from oms_client.api.reports import get_pipeline_report
        from oms_client.models import PipelineReport

        customer_id = self.need("opportunity").customer.id
        response = get_pipeline_report.sync_detailed(client=self.admin, customer_id=customer_id)
        expect(response.status_code == 200, f"status {response.status_code}")
        report = response.parsed
        expect(isinstance(report, PipelineReport), f"parsed {type(report).__name__}")
        expect(report.total.count == 1, f"total count {report.total.count}")
        return f"total {report.total.count}"

    def validation_problem(self):
        from oms_client.api.opportunities import create_opportunity
        from oms_client.models import (
            CreateOpportunityRequest,
            CurrencyCode,
            ExistingCustomer,
            MoneyInput,
            Priority,
            Problem,
            TimelineWithEndDate,
        )

        customer_id = self.need("opportunity").customer.id
        response = create_opportunity.sync_detailed(
            client=self.sales,
            body=CreateOpportunityRequest(
                customer=ExistingCustomer(id=customer_id),
                title=f"Journey {RUN} backwards timeline",
                description="The end date is before the start date.",
                priority=Priority.LOW,
                annual_recurring_revenue=MoneyInput(amount="1000", currency=CurrencyCode.JPY),
                timeline=TimelineWithEndDate(
                    start_date=datetime.date(2027, 3, 1), end_date=datetime.date(2027, 2, 1), flexible=False
                ),
            ),
        )
        return self.check_problem(response, 422, "validation_failed", Problem, field="timeline.end_date")

    def not_found_problem(self):
        from oms_client.api.opportunities import get_opportunity
        from oms_client.models import Problem

        response = get_opportunity.sync_detailed(uuid.uuid4(), client=self.sales)
        return self.check_problem(response, 404, "not_found", Problem)

    def check_problem(self, response, status, code, problem_class, field=None):
        """Both error steps go through the one generated problem class."""
        expect(response.status_code == status, f"status {response.status_code}")
        problem = response.parsed
        expect(isinstance(problem, problem_class), f"parsed {type(problem).__name__}, not {problem_class.__name__}")
        expect(problem.status == status and problem.code == code, f"{problem.status} {problem.code}")
        if field is not None:
            fields = [error.field for error in (problem.errors or [])]
            expect(field in fields, f"errors {fields}")
        return f"{problem_class.__name__} {problem.code}"

    def report_csv(self):
        from oms_client.api.reports import get_pipeline_report

        customer_id = self.need("opportunity").customer.id
        response = get_pipeline_report.sync_detailed(client=self.admin, customer_id=customer_id, accept="text/csv")
        expect(response.status_code == 200, f"status {response.status_code}")
        expect(isinstance(response.parsed, str), f"parsed {type(response.parsed).__name__}, not the CSV text")
        expect(response.parsed.startswith("dimension,status,priority,currency,count,arr_amount"), "not the CSV header")
        return f"{len(response.parsed.splitlines())} lines"


STEPS = [
    ("create catalog skill (Admin)", Journey.create_catalog_skill),
    ("create opportunity: timeline + new customer", Journey.create_opportunity),
    ("patch (If-Match, merge-patch)", Journey.patch_opportunity),
    ("put problem statement", Journey.put_problem_statement),
    ("put skill requirements: catalog + custom", Journey.put_skill_requirements),
    ("submit", Journey.submit),
    ("read history", Journey.read_history),
    ("filtered list (status, priority, q, sort)", Journey.filtered_list),
    ("pipeline report as JSON (Admin)", Journey.report_json),
    ("422 as Problem", Journey.validation_problem),
    ("404 as Problem", Journey.not_found_problem),
    # Last: the one step that depends on content negotiation (Accept), where generators differ.
    ("pipeline report as CSV (Admin)", Journey.report_csv),
]


def main(argv):
    keep_going = "--keep-going" in argv[1:]
    journey = Journey(os.environ["OMS_BASE_URL"], os.environ["OMS_SALES_TOKEN"], os.environ["OMS_ADMIN_TOKEN"])
    rows, failed = [], False
    for name, step in STEPS:
        try:
            rows.append((name, "ok", step(journey)))
        except NotRun as reason:
            rows.append((name, "not run", str(reason)))
            failed = True
        except Exception as error:  # a generated call or model that does not work is the finding
            # Where it failed: the deepest frame in the generated client or this journey.
            frames = traceback.extract_tb(error.__traceback__)
            frame = next((f for f in reversed(frames) if "oms_client" in f.filename), frames[-1])
            where = f"{os.path.basename(frame.filename)}:{frame.lineno}"
            rows.append((name, "FAIL", f"{type(error).__name__}: {error} ({where})"))
            failed = True
        if failed and not keep_going:
            break
    width = max(len(name) for name, _ in STEPS)
    print(f"{'step':<{width}}  {'status':<7}  detail")
    for name, status, detail in rows:
        print(f"{name:<{width}}  {status:<7}  {detail}")
    passed = sum(1 for _, status, _ in rows if status == "ok")
    print(f"python journey: {passed} of {len(STEPS)} steps passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
